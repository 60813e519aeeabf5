//! Reading the log for live updates: the tailer, the readable head, and a
//! batch after a cursor with each referral event's agency.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::case::CaseEvent;
use domain::values::{Agency, AgencyClass};
use sqlx::PgPool;
use store::EventStore;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use super::types::{Cursor, LiveEvent, LiveFact, LiveSettings};
use crate::feed::look_up::look_up;
use crate::feed::{read_batch, Checkpoint, Fact, Logged, Streams, CASE_STREAM};
use crate::wake::listen;

/// The tailer: finds the head, then reads what became readable whenever
/// this process commits events or another notifies (`crate::wake`; or the
/// poll interval passes: events committed behind an older transaction
/// become readable when it ends, which notifies nobody) and broadcasts it.
/// The listener runs inside this task, so aborting the tailer stops it too.
pub(super) async fn tail(
    pool: PgPool,
    store: EventStore,
    sender: broadcast::Sender<Arc<LiveEvent>>,
    settings: LiveSettings,
) {
    let (wake, mut woken) = watch::channel(0_u64);
    // Never sent: the listener ends with this task.
    let (_stop, stop) = watch::channel(false);
    let mut appended = store.appended();
    let listening = listen(
        pool.clone(),
        store.clone(),
        Arc::new(wake),
        stop,
        settings.poll_interval,
    );
    let reading = async {
        let mut cursor = loop {
            match readable_head(&pool).await {
                Ok(found) => break found,
                Err(e) => {
                    tracing::warn!(error = %crate::error::describe_sqlx(&e), "live updates cannot read the log; retrying");
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        };
        // When the tailer last read the head while nobody was subscribed.
        let mut passed: Option<Instant> = None;
        loop {
            match pass_over(&pool, &sender, &mut passed).await {
                Passed::Head(head) => cursor = cursor.max(head),
                Passed::Recently => {}
                Passed::Subscribed => {
                    passed = None;
                    cursor = broadcast_after(&pool, &store, &sender, cursor, &settings).await;
                }
            }
            tokio::select! {
                _ = woken.changed() => {}
                _ = appended.changed() => {}
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
    };
    tokio::join!(listening, reading);
}

/// Reads and broadcasts every readable event after `cursor`; where it got to.
async fn broadcast_after(
    pool: &PgPool,
    store: &EventStore,
    sender: &broadcast::Sender<Arc<LiveEvent>>,
    mut cursor: Cursor,
    settings: &LiveSettings,
) -> Cursor {
    loop {
        match read_after(pool, store, cursor, settings.batch_size.max(1)).await {
            Ok((events, Some(reached))) => {
                cursor = reached;
                for event in events {
                    // No subscriber is not an error: the event is in the log.
                    let _ = sender.send(Arc::new(event));
                }
            }
            Ok((_, None)) => return cursor,
            Err(e) => {
                tracing::warn!(error = %crate::error::describe_sqlx(&e), "live updates cannot read the log; retrying");
                return cursor;
            }
        }
    }
}

/// How often, at most, a tailer nobody subscribes to reads the head: it
/// was woken (and read it) once per commit group, a statement and a pool
/// checkout each time; now a commit group that follows within this
/// interval leaves the cursor where it was.
const PASS_OVER_SPACING: Duration = Duration::from_millis(20);

/// What [`pass_over`] did.
enum Passed {
    /// Nobody subscribed: the cursor may move to this head.
    Head(Cursor),
    /// Nobody subscribed, and the head was read less than
    /// [`PASS_OVER_SPACING`] ago: the cursor stays.
    Recently,
    /// Someone is subscribed, or joined meanwhile (or the head could not be
    /// read): the tailer reads and broadcasts as usual.
    Subscribed,
}

/// With nobody subscribed, the tailer moves its cursor to the readable
/// head instead of reading and decoding every event (one index probe
/// instead of a transaction of five statements per wake). The order is
/// what makes it safe: the head is read first, and only if nobody has
/// subscribed *after* that is it taken. A subscriber that joins later
/// reads the log after its own cursor up to a read that finds nothing
/// more, which sees everything readable when the head was read; the
/// tailer reads and broadcasts what comes after that head as usual.
///
/// A cursor left behind the head ([`Passed::Recently`]) is as safe: the
/// tailer then broadcasts, once someone subscribes, events from before
/// the subscriber's own cursor too, and subscribers skip what is not after
/// theirs. It is at most [`PASS_OVER_SPACING`] of commits (or one poll
/// interval, when no commit came since) behind, far fewer events than a
/// subscriber's buffer holds.
async fn pass_over(
    pool: &PgPool,
    sender: &broadcast::Sender<Arc<LiveEvent>>,
    passed: &mut Option<Instant>,
) -> Passed {
    if sender.receiver_count() > 0 {
        return Passed::Subscribed;
    }
    if passed.is_some_and(|at| at.elapsed() < PASS_OVER_SPACING) {
        return Passed::Recently;
    }
    let Ok(head) = readable_head(pool).await else {
        return Passed::Subscribed;
    };
    if sender.receiver_count() > 0 {
        return Passed::Subscribed;
    }
    *passed = Some(Instant::now());
    Passed::Head(head)
}

/// The last event a reader may read now (the log's start when there is none).
/// The last event of every transaction that committed before this call:
/// waits (up to `patience`) until every transaction that had begun by then
/// has ended, so that all of them are readable, then reads the head. Past
/// `patience` (a long transaction somewhere), the head readable then.
pub(super) async fn settled_head(pool: &PgPool, patience: Duration) -> Result<Cursor, sqlx::Error> {
    let now: i64 =
        sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            .fetch_one(pool)
            .await?;
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let oldest: i64 =
            sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                .fetch_one(pool)
                .await?;
        if oldest >= now || tokio::time::Instant::now() >= deadline {
            return readable_head(pool).await;
        }
        // Projector and command transactions last milliseconds.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The newest event readable in commit-safe order. The sort keys are
/// qualified: unqualified, `transaction_id` named the select list's cast
/// (a cast takes its column's name), and PostgreSQL sorted the whole log.
pub(super) async fn readable_head(pool: &PgPool) -> Result<Cursor, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT e.transaction_id::text::bigint AS txid, e.position FROM events e \
         WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY e.transaction_id DESC, e.position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map_or(Cursor::default(), |(transaction_id, position)| {
        Cursor(Checkpoint {
            transaction_id,
            position,
        })
    }))
}

/// Up to `limit` events after `after`, with the agency of each referral
/// event; and the cursor of the last row read (`None`: nothing more yet).
pub(super) async fn read_after(
    pool: &PgPool,
    store: &EventStore,
    after: Cursor,
    limit: usize,
) -> Result<(Vec<LiveEvent>, Option<Cursor>), sqlx::Error> {
    let streams = Streams::FACTS;
    let mut tx = store::transaction::begin(pool).await?;
    let batch = read_batch(&mut tx, store, after.0, limit, streams).await?;
    let reached = batch.last().map(|l| Cursor(l.at));
    let agencies = referral_agencies(&mut tx, store, &batch).await?;
    tx.commit().await?;
    let events = batch
        .into_iter()
        .filter_map(|logged| live_event(logged, &agencies))
        .collect();
    Ok((events, reached))
}

fn live_event(logged: Logged, agencies: &Holders) -> Option<LiveEvent> {
    let position = logged.at.position;
    let fact = match logged.fact {
        Fact::Call(event) => LiveFact::Call(event),
        Fact::Case(event) => {
            let held = match &event {
                CaseEvent::ReferralSent {
                    agency, reports_as, ..
                } => Some((*agency, *reports_as)),
                CaseEvent::ReferralHandedOn { to, reports_as, .. } => Some((*to, *reports_as)),
                CaseEvent::ReferralStatusChanged { referral_id, .. }
                | CaseEvent::RescueRecorded { referral_id, .. }
                | CaseEvent::ReferralFeedbackAdded { referral_id, .. } => agencies
                    .get(referral_id)
                    .and_then(|held| held.range(..position).next_back())
                    .map(|(_, held)| *held),
                _ => None,
            };
            LiveFact::Case {
                event,
                referral_agency: held.map(|(agency, _)| agency),
                referral_class: held.and_then(|(_, class)| class),
            }
        }
        Fact::Ignored => return None,
        Fact::Unreadable(what) => {
            // The projections stop on it and report it; live updates pass it.
            tracing::warn!(event = %what, "live updates pass over an unreadable event");
            return None;
        }
    };
    Some(LiveEvent {
        cursor: Cursor(logged.at),
        stream: logged.stream,
        sequence: logged.sequence,
        fact,
    })
}

/// Which agency held each referral from each position of its case's log on:
/// the one it was sent to, then each agency it was handed on to.
/// With the class an added agency reported as when it received it.
type Holders = HashMap<Uuid, BTreeMap<i64, (Agency, Option<AgencyClass>)>>;

/// The holders of every referral a status change, rescue or feedback in
/// `batch` names, from its case's `ReferralSent` and `ReferralHandedOn`
/// (committed before them, so in the log): an update goes to the agency
/// holding the referral when it happened, never to one it was taken from.
async fn referral_agencies(
    conn: &mut sqlx::PgConnection,
    store: &EventStore,
    batch: &[Logged],
) -> Result<Holders, sqlx::Error> {
    let mut cases: Vec<String> = batch
        .iter()
        .filter(|l| {
            matches!(
                l.fact,
                Fact::Case(
                    CaseEvent::ReferralStatusChanged { .. }
                        | CaseEvent::RescueRecorded { .. }
                        | CaseEvent::ReferralFeedbackAdded { .. }
                )
            )
        })
        .map(|l| l.stream.to_string())
        .collect();
    if cases.is_empty() {
        return Ok(HashMap::new());
    }
    cases.sort();
    cases.dedup();
    let held = look_up(
        conn,
        store,
        CASE_STREAM,
        cases,
        &["ReferralSent", "ReferralHandedOn"],
    )
    .await?;
    let mut holders = Holders::new();
    for logged in held {
        let (referral_id, agency) = match logged.fact {
            Fact::Case(CaseEvent::ReferralSent {
                referral_id,
                agency,
                reports_as,
                ..
            }) => (referral_id, (agency, reports_as)),
            Fact::Case(CaseEvent::ReferralHandedOn {
                referral_id,
                to,
                reports_as,
                ..
            }) => (referral_id, (to, reports_as)),
            _ => continue,
        };
        holders
            .entry(referral_id)
            .or_default()
            .insert(logged.at.position, agency);
    }
    Ok(holders)
}
