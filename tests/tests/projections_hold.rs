//! Projections cannot be stopped by valid input (issue 10, point 4).
//!
//! A property test over the real server and real PostgreSQL: several
//! writers send random, long, interleaved sequences of commands, with ids
//! drawn from a small shared pool and from ids already used (the server's
//! own included), so that ids are reused across streams and kinds. Whatever
//! the server accepts, every projection must catch up (not stopped, at the
//! head of the log), equal a rebuild from zero row by row, and the log must
//! introduce no id twice. Few cases, long sequences: each case is a fresh
//! database and server.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use casetrail_tests::fixtures::{caught_up, READ_MODEL_TABLES};
use casetrail_tests::harness::{spawn_app, token, Answer, TestApp};
use chrono::{Duration, Utc};
use domain::values::Role;
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

/// Where a command's id (or the thing it refers to) comes from.
#[derive(Clone, Debug)]
enum Id {
    /// One of a few ids shared by every writer and every kind.
    Pool(usize),
    /// An id some accepted command already introduced (of any kind).
    Seen(usize),
    /// None given: the server generates one.
    Fresh,
}

#[derive(Clone, Debug)]
enum Op {
    Call {
        id: Id,
    },
    Session {
        call: usize,
        id: Id,
    },
    Open {
        id: Id,
        from_call: Option<usize>,
        persons: Vec<Id>,
    },
    Person {
        case: usize,
        id: Id,
    },
    Referral {
        case: usize,
        id: Id,
        agency: usize,
    },
    Status {
        referral: usize,
        status: usize,
    },
    /// `case`: the referral's own case, or (Some) another one.
    Rescue {
        referral: usize,
        case: Option<usize>,
        id: Id,
    },
    Support {
        case: usize,
        id: Id,
    },
    Close {
        case: usize,
    },
    Reopen {
        case: usize,
    },
}

const POOL: usize = 6;
const AGENCIES: [&str; 3] = ["CRIMINAL_POLICE", "NGO", "BORDER_GUARD"];
const STATUSES: [(&str, Option<&str>); 5] = [
    ("ACKNOWLEDGED", None),
    ("IN_PROGRESS", None),
    ("COMPLETED", Some("RESCUED")),
    ("DECLINED", None),
    ("CANCELLED", None),
];

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        3 => (0..POOL).prop_map(Id::Pool),
        3 => any::<usize>().prop_map(Id::Seen),
        4 => Just(Id::Fresh),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let n = any::<usize>;
    prop_oneof![
        3 => id().prop_map(|id| Op::Call { id }),
        1 => (n(), id()).prop_map(|(call, id)| Op::Session { call, id }),
        3 => (id(), proptest::option::of(n()), proptest::collection::vec(id(), 0..3))
            .prop_map(|(id, from_call, persons)| Op::Open { id, from_call, persons }),
        1 => (n(), id()).prop_map(|(case, id)| Op::Person { case, id }),
        4 => (n(), id(), 0..AGENCIES.len()).prop_map(|(case, id, agency)| Op::Referral { case, id, agency }),
        2 => (n(), 0..STATUSES.len()).prop_map(|(referral, status)| Op::Status { referral, status }),
        3 => (n(), proptest::option::weighted(0.3, n()), id())
            .prop_map(|(referral, case, id)| Op::Rescue { referral, case, id }),
        1 => (n(), id()).prop_map(|(case, id)| Op::Support { case, id }),
        1 => n().prop_map(|case| Op::Close { case }),
        1 => n().prop_map(|case| Op::Reopen { case }),
    ]
}

/// What accepted commands introduced so far, shared by the writers.
#[derive(Default)]
struct Seen {
    any: Vec<Uuid>,
    calls: Vec<Uuid>,
    cases: Vec<Uuid>,
    /// (case, referral)
    referrals: Vec<(Uuid, Uuid)>,
}

struct Run {
    pool: [Uuid; POOL],
    seen: Mutex<Seen>,
    /// Business time only moves forward, so most commands pass the ordering rules.
    clock: AtomicI64,
    accepted: AtomicUsize,
    ids_refused: AtomicUsize,
}

fn pick<T: Copy>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()])
}

impl Run {
    fn now(&self) -> String {
        let n = self.clock.fetch_add(1, Ordering::SeqCst);
        (Utc::now() - Duration::days(2) + Duration::seconds(n)).to_rfc3339()
    }

    fn id(&self, id: &Id) -> Option<Uuid> {
        match id {
            Id::Pool(i) => Some(self.pool[i % POOL]),
            Id::Seen(i) => pick(&self.seen.lock().expect("seen").any, *i),
            Id::Fresh => None,
        }
    }

    fn seen<T: Copy>(&self, list: impl Fn(&Seen) -> &Vec<T>, i: usize) -> Option<T> {
        pick(list(&self.seen.lock().expect("seen")), i)
    }

    /// The request for an op, or None when it has nothing to refer to yet.
    fn request(&self, op: &Op) -> Option<(&'static str, Value)> {
        let cases = |i| self.seen(|s| &s.cases, i);
        Some(match op {
            Op::Call { id } => ("mutation($i: ReceiveCallInput!) { receiveCall(input: $i) { id } }",
                json!({"id": self.id(id), "receivedAt": self.now(), "channel": "VOICE",
                       "region": "SOUTHEAST", "callerType": "VICTIM", "category": "COUNSELLING"})),
            Op::Session { call, id } => ("mutation($i: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $i) { counsellingSessions { id } } }",
                json!({"id": self.id(id), "callId": self.seen(|s| &s.calls, *call)?, "startedAt": self.now(),
                       "durationMinutes": 5, "topics": ["LEGAL"]})),
            Op::Open { id, from_call, persons } => ("mutation($i: OpenCaseInput!) { openCase(input: $i) { id persons { id } } }",
                json!({"id": self.id(id), "fromCallId": from_call.and_then(|c| self.seen(|s| &s.calls, c)),
                       "openedAt": self.now(), "region": "MEKONG_DELTA",
                       "persons": persons.iter().map(|p| json!({"id": self.id(p), "role": "VICTIM", "gender": "FEMALE"})).collect::<Vec<_>>()})),
            Op::Person { case, id } => ("mutation($i: AttachPersonInput!) { attachPerson(input: $i) { persons { id } } }",
                json!({"caseId": cases(*case)?, "person": {"id": self.id(id), "role": "RELATIVE", "gender": "MALE"}})),
            Op::Referral { case, id, agency } => ("mutation($i: SendReferralInput!) { sendReferral(input: $i) { id caseId } }",
                json!({"id": self.id(id), "caseId": cases(*case)?, "agency": AGENCIES[*agency], "referredAt": self.now(),
                       "personsAtRisk": 2, "consent": {"given": true}})),
            Op::Status { referral, status } => {
                let (case, referral) = self.seen(|s| &s.referrals, *referral)?;
                let (status, outcome) = STATUSES[*status];
                ("mutation($i: UpdateReferralInput!) { updateReferral(input: $i) { id } }",
                 json!({"caseId": case, "referralId": referral, "status": status, "at": self.now(), "outcome": outcome}))
            }
            Op::Rescue { referral, case, id } => {
                let (own, referral) = self.seen(|s| &s.referrals, *referral)?;
                let case = case.and_then(cases).unwrap_or(own);
                ("mutation($i: RecordRescueInput!) { recordRescue(input: $i) { id } }",
                 json!({"id": self.id(id), "caseId": case, "referralId": referral, "rescuedAt": self.now(), "personsRescued": 2}))
            }
            Op::Support { case, id } => ("mutation($i: ProvideSupportInput!) { provideSupport(input: $i) { supportProvided { id } } }",
                json!({"id": self.id(id), "caseId": cases(*case)?, "service": "MEDICAL", "providedAt": self.now()})),
            Op::Close { case } => ("mutation($i: CloseCaseInput!) { closeCase(input: $i) { id } }",
                json!({"caseId": cases(*case)?, "closedAt": self.now(), "reason": "done"})),
            Op::Reopen { case } => ("mutation($i: ReopenCaseInput!) { reopenCase(input: $i) { id } }",
                json!({"caseId": cases(*case)?, "reopenedAt": self.now(), "reason": "again"})),
        })
    }

    /// Remembers what an accepted command introduced.
    fn remember(&self, data: &Value) {
        let ids = |v: &Value| -> Vec<Uuid> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
                .collect()
        };
        let one = |v: &Value| v.as_str().and_then(|s| Uuid::parse_str(s).ok());
        let mut seen = self.seen.lock().expect("seen");
        if let Some(call) = one(&data["receiveCall"]["id"]) {
            seen.calls.push(call);
            seen.any.push(call);
        }
        if let Some(case) = one(&data["openCase"]["id"]) {
            seen.cases.push(case);
            seen.any.push(case);
        }
        if let (Some(referral), Some(case)) = (
            one(&data["sendReferral"]["id"]),
            one(&data["sendReferral"]["caseId"]),
        ) {
            seen.referrals.push((case, referral));
            seen.any.push(referral);
        }
        seen.any.extend(one(&data["recordRescue"]["id"]));
        for list in [
            &data["recordCounsellingSession"]["counsellingSessions"],
            &data["openCase"]["persons"],
            &data["attachPerson"]["persons"],
            &data["provideSupport"]["supportProvided"],
        ] {
            for id in ids(list) {
                if !seen.any.contains(&id) {
                    seen.any.push(id);
                }
            }
        }
    }

    async fn write(&self, app: &TestApp, bearer: &str, ops: &[Op]) -> Result<(), String> {
        for op in ops {
            let Some((doc, input)) = self.request(op) else {
                continue;
            };
            let answer: Answer = app.gql(bearer, doc, json!({ "i": input })).await;
            match answer.code() {
                None if answer.status == 200 => {
                    self.accepted.fetch_add(1, Ordering::Relaxed);
                    self.remember(&answer.body["data"]);
                }
                Some("CONFLICT") => {
                    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
                    if message.contains("already recorded") {
                        self.ids_refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some("BAD_USER_INPUT" | "INVALID_STATE" | "NOT_FOUND") => {}
                _ => {
                    return Err(format!(
                        "{op:?} answered {}: {}",
                        answer.status, answer.body
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Every read-model table's rows as text, sorted.
async fn read_models(pool: &sqlx::PgPool) -> Vec<(String, Vec<String>)> {
    let mut tables = Vec::new();
    for table in READ_MODEL_TABLES {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM {table} t ORDER BY 1"))
                .fetch_all(pool)
                .await
                .expect("read model");
        tables.push((table.to_string(), rows));
    }
    tables
}

/// (kind, id) pairs the log introduces more than once, by the same mapping as the store.
async fn ids_introduced_twice(pool: &sqlx::PgPool) -> i64 {
    let mut twice = 0;
    for (stream, event, field, kind) in store::identity::INTRODUCED_BY {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT payload -> $2 ->> $3 FROM events \
             WHERE aggregate_type = $1 AND event_type = $2 GROUP BY 1 HAVING count(*) > 1) d",
        )
        .bind(stream)
        .bind(event)
        .bind(field)
        .fetch_one(pool)
        .await
        .expect("log readable");
        let recorded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events e WHERE aggregate_type = $1 AND event_type = $2 \
             AND NOT EXISTS (SELECT 1 FROM entity_ids i WHERE i.kind = $4 \
                             AND i.id = (e.payload -> $2 ->> $3)::uuid AND i.stream_id = e.aggregate_id)",
        )
        .bind(stream)
        .bind(event)
        .bind(field)
        .bind(kind)
        .fetch_one(pool)
        .await
        .expect("ids readable");
        twice += n + recorded;
    }
    twice
}

async fn check(app: &TestApp, run: &Run) -> Result<(), TestCaseError> {
    let app_pool = app.db.as_app_role().await;
    caught_up(&app_pool).await;
    let status = projections::status(&app_pool).await.expect("status");
    prop_assert!(
        status
            .iter()
            .all(|s| !s.is_stopped() && s.position == s.head_position && s.lag == 0),
        "{status:?}"
    );
    let owner = app.db.owner().await;
    prop_assert_eq!(ids_introduced_twice(&owner).await, 0);
    let incremental = read_models(&owner).await;
    let store = store::EventStore::new(app_pool.clone(), domain::upcasters::upcasters());
    let settings = projections::ProjectionSettings::default();
    projections::rebuild(&app.db.url, &store, &settings, None)
        .await
        .expect("rebuild");
    let rebuilt = read_models(&owner).await;
    for ((table, before), (_, after)) in incremental.iter().zip(&rebuilt) {
        prop_assert_eq!(before, after, "{} differs after a rebuild", table);
    }
    prop_assert!(run.accepted.load(Ordering::Relaxed) > 0);
    Ok(())
}

#[test]
fn accepted_commands_from_several_writers_never_stop_a_projection_and_equal_a_rebuild() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ids_refused = Arc::new(AtomicUsize::new(0));
    let config = ProptestConfig {
        cases: 3,
        failure_persistence: None,
        max_shrink_iters: 8,
        ..ProptestConfig::default()
    };
    let writers = proptest::collection::vec(proptest::collection::vec(op(), 30..60), 3);
    proptest!(config, |(writers in writers)| {
        let refused = ids_refused.clone();
        runtime.block_on(async move {
            let app = spawn_app().await;
            let bearer = token(Role::Supervisor);
            let run = Run {
                pool: std::array::from_fn(|_| Uuid::now_v7()),
                seen: Mutex::default(),
                clock: AtomicI64::new(0),
                accepted: AtomicUsize::new(0),
                ids_refused: AtomicUsize::new(0),
            };
            let written = futures::future::join_all(
                writers.iter().map(|ops| run.write(&app, &bearer, ops)),
            )
            .await;
            for result in written {
                prop_assert!(result.is_ok(), "{result:?}");
            }
            refused.fetch_add(run.ids_refused.load(Ordering::Relaxed), Ordering::Relaxed);
            check(&app, &run).await
        })?;
    });
    assert!(
        ids_refused.load(Ordering::Relaxed) > 0,
        "the sequences reused an id across streams at least once (and it was refused)"
    );
}
