//! Group commit: the units of work of concurrent commands are written by one
//! statement, in one transaction, with one WAL flush; once it committed,
//! the log's readers are woken (`wake.rs`: this process's at once, other
//! processes' by one NOTIFY outside the group's transaction).
//!
//! A unit arrives here already hashed ([`Prepared`]): its events, the chain
//! heads it follows (stream, sequence, hash), the ids it introduces, its
//! receipt and its snapshots. One statement (below) checks *every* head and
//! writes everything only if all hold; it runs in autocommit, so it is its
//! own transaction: one round trip. Committers (a few tasks) each take
//! whatever units are waiting, up to [`MAX_GROUP`], and write them together.
//!
//! Each command keeps its own checks and fails alone: if the group's
//! statement fails for a reason that is some unit's (a head that moved, a
//! sequence or receipt taken, an id taken), nothing of the group was written
//! and each unit is written again on its own, where only the guilty one
//! fails. A failure whose outcome is unknown (the connection broke during
//! the statement) is answered to every unit of the group as `Unavailable`,
//! as it would be to one command: it may have been written, so it is not
//! written again here (the client retries with its idempotency key).

use std::sync::{Arc, OnceLock};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::error::StoreError;
use crate::group_statement::{write, Prepared};
use crate::identity;
use crate::wake::Appends;

/// Units written by one statement at most.
const MAX_GROUP: usize = 64;
/// Statements in flight at once (each on its own pooled connection): while
/// one group waits for its flush, the next gathers. Two, not more: where
/// CPU is scarcer than flushes (2 CPUs, 32 writers, receiveCall over HTTP)
/// fewer, larger groups cost less per event, and the bench's sweep gave
/// 7,609 requests/s with four committers, 8,881 with two, 9,117 with one
/// (docs/PERFORMANCE.md); two keep one group executing while another
/// waits for its flush, for disks whose flush is slow.
const COMMITTERS: usize = 2;

type Reply = oneshot::Sender<Result<Vec<i64>, StoreError>>;

/// The queue to the committers of one pool, started on first use (inside
/// the caller's runtime); they end when the last store handle is dropped.
#[derive(Default)]
pub(crate) struct GroupCommitter {
    queue: OnceLock<mpsc::UnboundedSender<(Prepared, Reply)>>,
    /// Woken after every group that wrote.
    pub(crate) appends: Arc<Appends>,
}

impl GroupCommitter {
    pub async fn commit(&self, pool: &PgPool, unit: Prepared) -> Result<Vec<i64>, StoreError> {
        let queue = self
            .queue
            .get_or_init(|| start(pool.clone(), self.appends.clone()));
        let (reply, answer) = oneshot::channel();
        if queue.send((unit, reply)).is_err() {
            return Err(StoreError::Corrupt("the committers stopped".into()));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Corrupt("a committer stopped".into())))
    }
}

fn start(pool: PgPool, appends: Arc<Appends>) -> mpsc::UnboundedSender<(Prepared, Reply)> {
    let (send, receive) = mpsc::unbounded_channel();
    let receive = Arc::new(Mutex::new(receive));
    for _ in 0..COMMITTERS {
        tokio::spawn(committer(pool.clone(), appends.clone(), receive.clone()));
    }
    send
}

type Queue = Arc<Mutex<mpsc::UnboundedReceiver<(Prepared, Reply)>>>;

async fn committer(pool: PgPool, appends: Arc<Appends>, queue: Queue) {
    loop {
        let mut group = Vec::new();
        {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            group.push(first);
            while group.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
        }
        let (units, replies): (Vec<Prepared>, Vec<Reply>) = group.into_iter().unzip();
        let results = write_group(&pool, &appends, &units).await;
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// Writes the units together, or each alone if together failed for a
/// reason that is one unit's, then wakes the log's readers if any unit
/// was written. One result per unit, in order.
pub(crate) async fn write_group(
    pool: &PgPool,
    appends: &Appends,
    units: &[Prepared],
) -> Vec<Result<Vec<i64>, StoreError>> {
    let results = write_units(pool, units).await;
    // An unknown outcome may have been written: a needless wake costs less than a missed one.
    let wrote =
        |r: &Result<Vec<i64>, StoreError>| matches!(r, Ok(_) | Err(StoreError::Unavailable(_)));
    if results.iter().any(wrote) {
        appends.committed(pool);
    }
    results
}

async fn write_units(pool: &PgPool, units: &[Prepared]) -> Vec<Result<Vec<i64>, StoreError>> {
    let all: Vec<&Prepared> = units.iter().collect();
    match write(pool, &all).await {
        Ok(Some(positions)) => return split(units, positions),
        Ok(None) if units.len() == 1 => return vec![Err(StoreError::Conflict)],
        Err(e) if units.len() == 1 => return vec![Err(explain(pool, &units[0], e).await)],
        Err(e) if crate::error::is_unavailable(&e) => {
            return units
                .iter()
                .map(|_| Err(StoreError::Unavailable(clone_unavailable(&e))))
                .collect();
        }
        // Some unit's check failed: nothing was written; each goes alone.
        Ok(None) | Err(_) => {}
    }
    let mut results = Vec::with_capacity(units.len());
    for unit in units {
        results.push(match write(pool, &[unit]).await {
            Ok(Some(positions)) => Ok(positions),
            Ok(None) => Err(StoreError::Conflict),
            Err(e) => Err(explain(pool, unit, e).await),
        });
    }
    results
}

/// The group's positions, back to each unit (they were inserted in order).
fn split(units: &[Prepared], positions: Vec<i64>) -> Vec<Result<Vec<i64>, StoreError>> {
    let mut rest = positions.into_iter();
    units
        .iter()
        .map(|u| Ok(rest.by_ref().take(u.events.len()).collect()))
        .collect()
}

/// sqlx errors are not `Clone`; a group's unknown outcome is told to each unit.
fn clone_unavailable(e: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        crate::db::short(e),
    ))
}

/// One unit's failure in the store's terms.
async fn explain(pool: &PgPool, unit: &Prepared, e: sqlx::Error) -> StoreError {
    let constraint = match &e {
        sqlx::Error::Database(db) => db.constraint().map(str::to_string),
        _ => None,
    };
    match constraint.as_deref() {
        Some("events_stream_sequence") | Some("command_receipts_pkey") => StoreError::Conflict,
        Some("entity_ids_pkey") => {
            let wanted: Vec<(&'static str, uuid::Uuid)> =
                unit.ids.iter().map(|e| (e.kind, e.id)).collect();
            match identity::taken(pool, &wanted).await {
                Ok(Some((kind, id))) => StoreError::IdTaken { kind, id },
                // The id's other holder rolled back meanwhile: try again.
                Ok(None) => StoreError::Conflict,
                Err(other) => other,
            }
        }
        _ => e.into(),
    }
}
