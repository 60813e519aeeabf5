//! Idempotency keys: the contract's `id` or `idempotencyKey` of a mutation,
//! scoped by the caller and the mutation's name, with a fingerprint of its
//! input that holds nothing of its personal data.
//!
//! The fingerprint is `SHA-256(F("casetrail-request-v2") ‖ F(mutation) ‖
//! F(canonical(input)))` where every personal field of the input (see
//! [`PERSONAL_FIELDS`]) is replaced by whether it was given. Everything else
//! in the input (ids, times, codes, counts) is recorded in clear in the events
//! anyway, so the hash needs no key and survives master-key rotation. What it
//! means: a retry that changes only personal text (a name, a phone, a note, a
//! reason) with the same key is the same request, and gets the first result;
//! the changed text is not recorded (a correction is its own command).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::hash::canonical_json;
use store::receipts::{Caller, Receipt};
use store::CommandContext;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Longest client key accepted.
const MAX_KEY_LEN: usize = 200;

/// Input fields (at any depth) that hold personal data: sealed before they
/// enter a command, and never part of a fingerprint. A new personal field of
/// an input must be added here.
pub const PERSONAL_FIELDS: &[&str] = &[
    "full_name",
    "phone",
    "notes",
    "reason",
    "override_reason",
    "ethnicity",
    "text",
    "description",
];

#[derive(Clone, Debug)]
pub struct Idempotency {
    pub caller: Caller,
    pub key: String,
    pub request_hash: Vec<u8>,
}

impl Idempotency {
    /// `None` when the client gave no key: such a request is not deduplicated.
    pub fn new(
        ctx: &CommandContext,
        mutation: &str,
        client_key: Option<String>,
        input: &impl Serialize,
    ) -> ApiResult<Option<Self>> {
        let Some(client_key) = client_key else {
            return Ok(None);
        };
        if client_key.is_empty() || client_key.len() > MAX_KEY_LEN {
            return Err(ApiError::BadUserInput(format!(
                "an idempotency key has 1 to {MAX_KEY_LEN} characters"
            )));
        }
        Ok(Some(Self {
            caller: Caller {
                subject: ctx.actor.subject.clone(),
                agency: ctx.caller_agency.clone().unwrap_or_default(),
            },
            key: format!("{mutation}:{client_key}"),
            request_hash: fingerprint(mutation, input)?,
        }))
    }

    /// Whether a stored receipt was made by this same request. Receipts from
    /// before migration 0006 kept no input: same caller, mutation and key is all
    /// that can be compared.
    pub fn matches(&self, receipt: &Receipt) -> bool {
        receipt.request_hash.is_empty() || receipt.request_hash == self.request_hash
    }

    pub fn receipt(
        &self,
        stream_type: &str,
        stream_id: Uuid,
        last_sequence: i64,
        result_id: Option<Uuid>,
    ) -> Receipt {
        Receipt {
            caller: self.caller.clone(),
            key: self.key.clone(),
            request_hash: self.request_hash.clone(),
            stream_type: stream_type.to_string(),
            stream_id: stream_id.to_string(),
            last_sequence,
            result_id,
        }
    }
}

/// The input's fingerprint, personal fields reduced to their presence.
pub fn fingerprint(mutation: &str, input: &impl Serialize) -> ApiResult<Vec<u8>> {
    let mut input = serde_json::to_value(input).map_err(|_| ApiError::Internal)?;
    without_personal_data(&mut input);
    let mut h = Sha256::new();
    for part in [
        b"casetrail-request-v2".as_slice(),
        mutation.as_bytes(),
        canonical_json(&input).as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    Ok(h.finalize().to_vec())
}

fn without_personal_data(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if PERSONAL_FIELDS.contains(&name.as_str()) {
                    *field = Value::Bool(!field.is_null());
                } else {
                    without_personal_data(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_personal_data),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn open_case(name: &str, phone: &str, region: &str) -> Value {
        json!({"id": "0190d5c0-0000-7000-8000-000000000001", "region": region,
               "persons": [{"id": null, "role": "VICTIM", "full_name": name, "phone": phone}]})
    }

    #[test]
    fn the_fingerprint_does_not_depend_on_personal_data_but_on_everything_else() {
        let a = fingerprint("openCase", &open_case("Nguyen Thi A", "0901", "NORTHWEST"))
            .expect("fingerprints");
        let b = fingerprint("openCase", &open_case("Tran Van B", "0902", "NORTHWEST"))
            .expect("fingerprints");
        let other = fingerprint("openCase", &open_case("Nguyen Thi A", "0901", "NORTHEAST"))
            .expect("fingerprints");
        assert_eq!(a, b, "names and phones are not part of the fingerprint");
        assert_ne!(a, other, "non-personal input is");
        assert_ne!(
            a,
            fingerprint("sendReferral", &open_case("x", "y", "NORTHWEST")).expect("fingerprints")
        );
    }

    #[test]
    fn a_receipt_from_before_0006_kept_no_input_and_matches_its_callers_retry() {
        let ctx = store::CommandContext::new(
            store::Actor {
                subject: "s".into(),
                role: domain::values::Role::Supervisor,
            },
            "c".into(),
        );
        let key = Idempotency::new(&ctx, "closeCase", Some("k".into()), &json!({"a": 1}))
            .expect("valid")
            .expect("keyed");
        let mut receipt = key.receipt("Case", uuid::Uuid::nil(), 2, None);
        assert!(key.matches(&receipt));
        receipt.request_hash = vec![1, 2, 3];
        assert!(!key.matches(&receipt));
        receipt.request_hash.clear();
        assert!(key.matches(&receipt));
    }

    #[test]
    fn giving_or_omitting_a_personal_field_is_different_input() {
        let with = json!({"case_id": "c", "reason": "needs shelter"});
        let without = json!({"case_id": "c", "reason": null});
        let other_text = json!({"case_id": "c", "reason": "something else"});
        let f = |v: &Value| fingerprint("closeCase", v).expect("fingerprints");
        assert_ne!(f(&with), f(&without));
        assert_eq!(f(&with), f(&other_text));
    }
}
