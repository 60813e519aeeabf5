//! The referral packet: what the agency holding a referral needs to act on
//! it, and no more. Persons' details are opened only where the referral
//! carries the person's consent (a consent override shares none), and each
//! opening is in the access log under `referralPacket/{AGENCY}`.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::case::Case;
use domain::sealed::Sealed;
use domain::values::Role;
use store::vault::{Binding, Opened, SubjectKind};
use uuid::Uuid;

use super::context::request;
use super::enums::{Agency, ExploitationType, Region};
use super::privacy::{self, ERASED, UNAVAILABLE};
use super::types::{PersonNode, ReferralNode};
use crate::error::ApiError;
use crate::policy::{require, require_agency_scope, sees_personal_data, Capability};

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ReferralFeedback")]
pub struct FeedbackNode {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub agency: Agency,
    pub added_at: DateTime<Utc>,
    pub notes: Option<String>,
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ReferralPacket")]
pub struct PacketNode {
    pub referral: ReferralNode,
    pub region: Region,
    pub province: Option<String>,
    pub exploitation_types: Vec<ExploitationType>,
    pub destination_country: Option<String>,
    pub persons_at_risk: i32,
    /// Whether the persons consented: their details are shared only then.
    pub consent_given: bool,
    /// Why the hotline referred the case.
    pub reason: Option<String>,
    /// The case's persons; names, phones and ethnicity only where consent covers them.
    pub persons: Vec<PersonNode>,
    /// The agencies' feedback on this referral, oldest first.
    pub feedback: Vec<FeedbackNode>,
}

#[derive(Default)]
pub struct PacketQuery;

/// Opens texts sealed under the case's key.
async fn open_case_texts(
    vault: &store::vault::Vault,
    pool: &sqlx::PgPool,
    texts: &[(&Sealed, Binding)],
) -> Result<Vec<String>, ApiError> {
    let items: Vec<_> = texts
        .iter()
        .map(|(s, b)| (*s, SubjectKind::Case, b.clone()))
        .collect();
    Ok(vault
        .open_many(pool, &items)
        .await?
        .into_iter()
        .map(|o| match o {
            Opened::Plain(text) => text,
            Opened::Erased => ERASED.to_string(),
            Opened::Unavailable => UNAVAILABLE.to_string(),
        })
        .collect())
}

#[Object]
impl PacketQuery {
    /// A referral's packet, for the agency holding it now (and the hotline).
    async fn referral_packet(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
        referral_id: Uuid,
    ) -> Result<PacketNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadReferralPackets)?;
        let store = app.commands.store();
        let case = store.load::<Case>(case_id).await.map_err(ApiError::from)?;
        let case = case.state;
        let referral = case.referral(referral_id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "referral {referral_id} is not part of case {case_id}"
            ))
        })?;
        require_agency_scope(&req.principal, referral.agency)?;
        let consent_given = !referral.consent_overridden;
        let (clear, field) = match req.principal.role {
            Role::Agency => (consent_given, format!("referralPacket/{}", referral.agency)),
            _ => (sees_personal_data(&req.principal), "referralPacket".into()),
        };
        let vault = app.commands.vault();
        let selected = privacy::Selected::of(&ctx.look_ahead().field("persons"));
        let persons =
            privacy::persons_opened_if(vault, store.pool(), &case, req, &field, selected, clear)
                .await?;
        let feedback: Vec<_> = case
            .feedback
            .iter()
            .filter(|f| f.referral_id == referral_id)
            .collect();
        let mut texts: Vec<(&Sealed, Binding)> = feedback
            .iter()
            .map(|f| (&f.note, Binding::referral_feedback_note(case_id)))
            .collect();
        if let Some(reason) = &referral.reason.0 {
            texts.push((reason, Binding::referral_reason(case_id)));
        }
        let mut opened = open_case_texts(vault, store.pool(), &texts).await?;
        let reason = referral.reason.0.as_ref().and_then(|_| opened.pop());
        Ok(PacketNode {
            referral: ReferralNode::new(case_id, referral),
            region: case.region.into(),
            province: case.province.clone(),
            exploitation_types: case.exploitation_types.iter().map(|&e| e.into()).collect(),
            destination_country: case.destination_country.clone(),
            persons_at_risk: i32::from(referral.persons_at_risk),
            consent_given,
            reason,
            persons,
            feedback: feedback
                .iter()
                .zip(opened)
                .map(|(f, notes)| FeedbackNode {
                    id: f.feedback_id,
                    referral_id: f.referral_id,
                    agency: referral.class_of(f.agency).into(),
                    added_at: f.added_at,
                    notes: Some(notes),
                })
                .collect(),
        })
    }
}
