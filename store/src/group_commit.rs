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
//!
//! Each committer keeps one session of its own between groups (taken from
//! the pool and detached): returning a connection to sqlx's pool pings it,
//! one more round trip per group.

use std::sync::{Arc, OnceLock};

use sqlx::{PgConnection, PgPool};
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
    // The committer's own session, kept from group to group: sqlx pings a
    // pooled connection each time it goes back to the pool, a round trip
    // per group for nothing. Taken from the pool (so set up as the pool's
    // are) and detached, like the projectors' and the notifier's; dropped
    // after any failure that is not a unit's own, and taken afresh.
    let mut held: Option<PgConnection> = None;
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
        let session = match held.take() {
            Some(conn) => Ok(conn),
            None => pool.acquire().await.map(|conn| conn.detach()),
        };
        let results = match session {
            Ok(mut conn) => {
                let results = write_units(Session::Held(&mut conn), &pool, &units).await;
                if results.iter().all(keeps_session) {
                    held = Some(conn);
                }
                results
            }
            Err(e) => units
                .iter()
                .map(|_| Err(StoreError::Unavailable(clone_unavailable(&e))))
                .collect(),
        };
        woken(&pool, &appends, &results);
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// Whether a session that gave this result is still fit for the next
/// group: a unit's own refusal (a head that moved, an id taken) leaves it
/// as it was; anything else may have broken it.
fn keeps_session(result: &Result<Vec<i64>, StoreError>) -> bool {
    matches!(
        result,
        Ok(_) | Err(StoreError::Conflict | StoreError::IdTaken { .. })
    )
}

/// Where a group's statements run: a committer's own session, or a
/// pooled connection per statement (`EventStore::commit_all`).
enum Session<'a> {
    Held(&'a mut PgConnection),
    Pooled(&'a PgPool),
}

impl Session<'_> {
    async fn write(&mut self, units: &[&Prepared]) -> Result<Option<Vec<i64>>, sqlx::Error> {
        match self {
            Session::Held(conn) => write(&mut **conn, units).await,
            Session::Pooled(pool) => write(*pool, units).await,
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
    let results = write_units(Session::Pooled(pool), pool, units).await;
    woken(pool, appends, &results);
    results
}

/// Wakes the log's readers if any unit was written.
fn woken(pool: &PgPool, appends: &Appends, results: &[Result<Vec<i64>, StoreError>]) {
    // An unknown outcome may have been written: a needless wake costs less than a missed one.
    let wrote =
        |r: &Result<Vec<i64>, StoreError>| matches!(r, Ok(_) | Err(StoreError::Unavailable(_)));
    if results.iter().any(wrote) {
        appends.committed(pool);
    }
}

async fn write_units(
    mut session: Session<'_>,
    pool: &PgPool,
    units: &[Prepared],
) -> Vec<Result<Vec<i64>, StoreError>> {
    let all: Vec<&Prepared> = units.iter().collect();
    match session.write(&all).await {
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
        results.push(match session.write(&[unit]).await {
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
