//! Casework read back for the caller: case notes, counselling notes and
//! follow-ups, built from their streams. Their texts are personal data,
//! opened only for COUNSELLOR and SUPERVISOR and only when the request
//! selected them; every text returned in clear is in the access log (one
//! entry per note, session or follow-up) before it is returned, and a read
//! that cannot be logged is refused.

use chrono::{DateTime, Utc};
use domain::call::CounsellingSession;
use domain::case::{FollowUp, Note};
use domain::sealed::Sealed;
use store::access_log::{self, TextAccess};
use store::vault::{Binding, Opened, SubjectKind};
use uuid::Uuid;

use super::casework_types::{CaseNoteNode, CounsellingNoteNode, FollowUpNode};
use super::context::{AppState, RequestContext};
use super::privacy::{ERASED, UNAVAILABLE};
use crate::error::ApiResult;
use crate::policy::sees_personal_data;

/// One sealed text to open, and the access-log entry it makes if it opens.
struct Wanted<'a> {
    sealed: &'a Sealed,
    kind: SubjectKind,
    binding: Binding,
    access: TextAccess,
}

/// Opens the texts, logging those returned in clear under `field`'s purpose.
/// Only called for a caller who sees personal data.
async fn open(
    app: &AppState,
    req: &RequestContext,
    field: &str,
    wanted: Vec<Wanted<'_>>,
) -> ApiResult<Vec<String>> {
    if wanted.is_empty() {
        return Ok(vec![]);
    }
    let pool = app.commands.store().pool();
    let items: Vec<_> = wanted
        .iter()
        .map(|w| (w.sealed, w.kind, w.binding.clone()))
        .collect();
    let opened = app.commands.vault().open_many(pool, &items).await?;
    let mut accesses = Vec::new();
    let mut texts = Vec::with_capacity(opened.len());
    for (value, w) in opened.into_iter().zip(wanted) {
        texts.push(match value {
            Opened::Plain(text) => {
                accesses.push(w.access);
                text
            }
            Opened::Erased => ERASED.to_string(),
            Opened::Unavailable => UNAVAILABLE.to_string(),
        });
    }
    access_log::record_texts(pool, &req.purpose(field), &accesses).await?;
    Ok(texts)
}

/// A case's notes for the caller; texts opened when `selected`.
pub(super) async fn case_notes(
    app: &AppState,
    req: &RequestContext,
    field: &str,
    case_id: Uuid,
    notes: &[&Note],
    selected: bool,
) -> ApiResult<Vec<CaseNoteNode>> {
    let clear = sees_personal_data(&req.principal);
    let wanted = notes
        .iter()
        .filter(|_| clear && selected)
        .map(|n| Wanted {
            sealed: &n.text,
            kind: SubjectKind::Case,
            binding: Binding::case_note_text(case_id),
            access: TextAccess {
                case_id: Some(case_id),
                call_id: None,
                item_id: n.note_id,
                field: "text",
            },
        })
        .collect();
    let mut texts = open(app, req, field, wanted).await?.into_iter();
    Ok(notes
        .iter()
        .map(|n| CaseNoteNode {
            id: n.note_id,
            case_id,
            author: n.author.clone(),
            written_at: n.written_at,
            text: texts.next(),
            redacted: !clear,
        })
        .collect())
}

/// A call's counselling sessions' notes for the caller; opened when `selected`.
pub(super) async fn counselling_notes(
    app: &AppState,
    req: &RequestContext,
    field: &str,
    call_id: Uuid,
    sessions: &[&CounsellingSession],
    selected: bool,
) -> ApiResult<Vec<CounsellingNoteNode>> {
    let clear = sees_personal_data(&req.principal);
    let wanted = sessions
        .iter()
        .filter(|_| clear && selected)
        .filter_map(|s| {
            Some(Wanted {
                sealed: s.notes.as_ref()?,
                kind: SubjectKind::Call,
                binding: Binding::counselling_notes(call_id),
                access: TextAccess {
                    case_id: None,
                    call_id: Some(call_id),
                    item_id: s.session_id,
                    field: "notes",
                },
            })
        })
        .collect();
    let mut texts = open(app, req, field, wanted).await?.into_iter();
    Ok(sessions
        .iter()
        .map(|s| CounsellingNoteNode {
            session_id: s.session_id,
            call_id,
            started_at: s.started_at,
            // Sessions without notes were left out of the opening above.
            text: s.notes.as_ref().and_then(|_| texts.next()),
            redacted: !clear,
        })
        .collect())
}

/// Follow-ups (each with its case) for the caller, `overdue` as of `now`;
/// descriptions opened when `selected`.
pub(super) async fn follow_ups(
    app: &AppState,
    req: &RequestContext,
    field: &str,
    items: &[(Uuid, &FollowUp)],
    selected: bool,
    now: DateTime<Utc>,
) -> ApiResult<Vec<FollowUpNode>> {
    let clear = sees_personal_data(&req.principal);
    let wanted = items
        .iter()
        .filter(|_| clear && selected)
        .map(|(case_id, f)| Wanted {
            sealed: &f.description,
            kind: SubjectKind::Case,
            binding: Binding::follow_up_description(*case_id),
            access: TextAccess {
                case_id: Some(*case_id),
                call_id: None,
                item_id: f.follow_up_id,
                field: "description",
            },
        })
        .collect();
    let mut texts = open(app, req, field, wanted).await?.into_iter();
    Ok(items
        .iter()
        .map(|(case_id, f)| FollowUpNode {
            id: f.follow_up_id,
            case_id: *case_id,
            assignee: f.assignee.clone(),
            created_at: f.created_at,
            due_at: f.due_at,
            completed_at: f.completed.as_ref().map(|(_, at)| *at),
            completed_by: f.completed.as_ref().map(|(by, _)| by.clone()),
            overdue: f.completed.is_none() && f.due_at < now,
            description: texts.next(),
        })
        .collect())
}
