//! The live tail of the log, for subscriptions.
//!
//! One tailer per process follows the log in the projections' commit-safe
//! order (`feed`: only transactions older than every running one, ordered by
//! `(transaction_id, position)`), so an event is handed out only after it
//! committed, and never before one that committed earlier in that order. It
//! hands each event to every subscriber through one bounded broadcast
//! channel: a subscriber that falls more than its buffer behind is told
//! ([`LiveError::TooSlow`]) and dropped by the API, never buffered without
//! limit. Subscribers never poll the database on their own while live.
//!
//! A subscriber starts from a [`Cursor`] (the last event it saw, or else the
//! last event readable when it starts): it joins the broadcast first, then
//! reads the log after its cursor in batches, as it consumes them, and
//! switches to the broadcast once a read finds nothing more, skipping what
//! it already had. Everything the tailer broadcast before the subscriber
//! joined was readable before that read, so nothing falls between the two.
//! "Readable" is the feed's rule: an event whose transaction committed while
//! an older one was still running becomes readable when that one ends, so a
//! subscription without a cursor may begin with such an event.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use domain::call::CallEvent;
use domain::case::CaseEvent;
use domain::values::Agency;
use futures::Stream;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use store::EventStore;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::feed::{look_up, read_batch, Checkpoint, Fact, Logged, Streams, CASE_STREAM};

/// The channel the log's trigger notifies on each commit (migrations/0001).
const EVENTS_CHANNEL: &str = "casetrail_events";

/// Where a subscriber stands in the log: opaque to clients, written
/// `<transaction id>.<position>` (both decimal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(Checkpoint);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0.transaction_id, self.0.position)
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (transaction, position) = s.split_once('.').ok_or(())?;
        let number = |t: &str| -> Result<i64, ()> {
            if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            t.parse().map_err(|_| ())
        };
        Ok(Cursor(Checkpoint {
            transaction_id: number(transaction)?,
            position: number(position)?,
        }))
    }
}

/// What a live event says.
#[derive(Clone, Debug)]
pub enum LiveFact {
    Call(CallEvent),
    Case {
        event: CaseEvent,
        /// For referral events: the agency the referral was sent to (a
        /// status change or rescue does not repeat it; it is read from the log).
        referral_agency: Option<Agency>,
    },
}

/// One committed event, as subscribers get it.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub cursor: Cursor,
    /// The call's or the case's id.
    pub stream: Uuid,
    /// Its place in its stream: the stream's version once it applied.
    pub sequence: i64,
    pub fact: LiveFact,
}

/// Why a subscription ends early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveError {
    /// It fell further behind the log than its buffer holds.
    TooSlow,
    /// The database could not be read (the subscriber may resume later).
    Unavailable,
}

/// How the tailer runs.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// Events a subscriber may fall behind before it is dropped.
    pub buffer: usize,
    /// Events read at a time.
    pub batch_size: usize,
    /// How often the log is read when no notification came.
    pub poll_interval: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            buffer: 1024,
            batch_size: 500,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// The process's one tail of the log. Cheap to clone; the tailer stops
/// when the last clone is dropped.
#[derive(Clone)]
pub struct LiveLog {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    store: EventStore,
    sender: broadcast::Sender<Arc<LiveEvent>>,
    batch_size: usize,
    tailer: tokio::task::JoinHandle<()>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.tailer.abort();
    }
}

impl LiveLog {
    /// Starts the tailer. Must be called inside a Tokio runtime.
    pub fn spawn(pool: PgPool, store: EventStore, settings: LiveSettings) -> Self {
        let (sender, _) = broadcast::channel(settings.buffer.max(1));
        let tailer = tokio::spawn(tail(
            pool.clone(),
            store.clone(),
            sender.clone(),
            settings.clone(),
        ));
        Self {
            shared: Arc::new(Shared {
                pool,
                store,
                sender,
                batch_size: settings.batch_size.max(1),
                tailer,
            }),
        }
    }

    /// Subscribers now joined to the broadcast.
    pub fn subscribers(&self) -> usize {
        self.shared.sender.receiver_count()
    }

    /// Every committed Call and Case event after `after` (or, without it,
    /// after the last one readable when the subscription starts), in log
    /// order, then live. Ends after an error.
    pub fn subscribe(
        &self,
        after: Option<Cursor>,
    ) -> impl Stream<Item = Result<Arc<LiveEvent>, LiveError>> + Send + 'static {
        let subscriber = Subscriber {
            receiver: self.shared.sender.subscribe(),
            log: self.clone(),
            cursor: after,
            pending: VecDeque::new(),
            live: false,
            ended: false,
        };
        futures::stream::unfold(subscriber, |mut s| async move {
            let item = s.next().await?;
            if item.is_err() {
                s.ended = true;
            }
            Some((item, s))
        })
    }

    /// Reads and decodes up to `limit` events after `after`; also says how
    /// far the read went (events of other streams count: they are passed).
    async fn read_after(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<LiveEvent>, Option<Cursor>), sqlx::Error> {
        read_after(&self.shared.pool, &self.shared.store, after, limit).await
    }
}

struct Subscriber {
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
    log: LiveLog,
    /// The last event handed out (or passed over); `None` until the start is known.
    cursor: Option<Cursor>,
    pending: VecDeque<Arc<LiveEvent>>,
    /// Reading the broadcast (rather than the log).
    live: bool,
    ended: bool,
}

impl Subscriber {
    async fn next(&mut self) -> Option<Result<Arc<LiveEvent>, LiveError>> {
        if self.ended {
            return None;
        }
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            let cursor = match self.cursor {
                Some(cursor) => cursor,
                None => {
                    let Ok(start) = readable_head(&self.log.shared.pool).await else {
                        return Some(Err(LiveError::Unavailable));
                    };
                    self.cursor = Some(start);
                    start
                }
            };
            if !self.live {
                // What the broadcast holds is read from the log anyway: start
                // it afresh, so that a long catch-up never makes it overflow.
                self.receiver = self.receiver.resubscribe();
                let batch_size = self.log.shared.batch_size;
                let Ok((events, reached)) = self.log.read_after(cursor, batch_size).await else {
                    return Some(Err(LiveError::Unavailable));
                };
                match reached {
                    Some(reached) => {
                        self.cursor = Some(reached);
                        self.pending.extend(events.into_iter().map(Arc::new));
                    }
                    None => self.live = true,
                }
                continue;
            }
            match self.receiver.recv().await {
                Ok(event) if event.cursor > cursor => {
                    self.cursor = Some(event.cursor);
                    return Some(Ok(event));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some(Err(LiveError::TooSlow))
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// The tailer: finds the head, then reads what became readable whenever the
/// log's trigger notifies (or the poll interval passes) and broadcasts it.
async fn tail(
    pool: PgPool,
    store: EventStore,
    sender: broadcast::Sender<Arc<LiveEvent>>,
    settings: LiveSettings,
) {
    let mut listener = None;
    let mut cursor = loop {
        match readable_head(&pool).await {
            Ok(found) => break found,
            Err(e) => {
                tracing::warn!(error = %crate::error::describe_sqlx(&e), "live updates cannot read the log; retrying");
                tokio::time::sleep(settings.poll_interval).await;
            }
        }
    };
    loop {
        if listener.is_none() {
            listener = listen(&pool).await;
        }
        loop {
            match read_after(&pool, &store, cursor, settings.batch_size.max(1)).await {
                Ok((events, Some(reached))) => {
                    cursor = reached;
                    for event in events {
                        // No subscriber is not an error: the event is in the log.
                        let _ = sender.send(Arc::new(event));
                    }
                }
                Ok((_, None)) => break,
                Err(e) => {
                    tracing::warn!(error = %crate::error::describe_sqlx(&e), "live updates cannot read the log; retrying");
                    break;
                }
            }
        }
        let lost = match listener.as_mut() {
            Some(l) => tokio::select! {
                received = l.try_recv() => !matches!(received, Ok(Some(_))),
                () = tokio::time::sleep(settings.poll_interval) => false,
            },
            None => {
                tokio::time::sleep(settings.poll_interval).await;
                false
            }
        };
        if lost {
            // Notifications may have been missed: read, then listen anew.
            listener = None;
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(pool).await.ok()?;
    listener.listen(EVENTS_CHANNEL).await.ok()?;
    Some(listener)
}

/// The last event a reader may read now (the log's start when there is none).
async fn readable_head(pool: &PgPool) -> Result<Cursor, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id::text::bigint, position FROM events \
         WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY transaction_id DESC, position DESC LIMIT 1",
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
async fn read_after(
    pool: &PgPool,
    store: &EventStore,
    after: Cursor,
    limit: usize,
) -> Result<(Vec<LiveEvent>, Option<Cursor>), sqlx::Error> {
    let streams = Streams {
        calls: true,
        cases: true,
    };
    let mut tx = pool.begin().await?;
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

fn live_event(logged: Logged, agencies: &HashMap<Uuid, Agency>) -> Option<LiveEvent> {
    let fact = match logged.fact {
        Fact::Call(event) => LiveFact::Call(event),
        Fact::Case(event) => {
            let referral_agency = match &event {
                CaseEvent::ReferralSent { agency, .. } => Some(*agency),
                CaseEvent::ReferralStatusChanged { referral_id, .. }
                | CaseEvent::RescueRecorded { referral_id, .. } => {
                    agencies.get(referral_id).copied()
                }
                _ => None,
            };
            LiveFact::Case {
                event,
                referral_agency,
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

/// The agency of every referral a status change or rescue in `batch` names,
/// from its case's `ReferralSent` (committed before, so in the log).
async fn referral_agencies(
    conn: &mut sqlx::PgConnection,
    store: &EventStore,
    batch: &[Logged],
) -> Result<HashMap<Uuid, Agency>, sqlx::Error> {
    let mut cases: Vec<String> = batch
        .iter()
        .filter(|l| {
            matches!(
                l.fact,
                Fact::Case(
                    CaseEvent::ReferralStatusChanged { .. } | CaseEvent::RescueRecorded { .. }
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
    let sent = look_up(conn, store, CASE_STREAM, cases, &["ReferralSent"]).await?;
    Ok(sent
        .into_iter()
        .filter_map(|l| match l.fact {
            Fact::Case(CaseEvent::ReferralSent {
                referral_id,
                agency,
                ..
            }) => Some((referral_id, agency)),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written_and_nothing_else_reads() {
        let cursor = Cursor(Checkpoint {
            transaction_id: 7_345,
            position: 12,
        });
        assert_eq!(cursor.to_string(), "7345.12");
        assert_eq!("7345.12".parse::<Cursor>(), Ok(cursor));
        for bad in [
            "",
            "7345",
            ".12",
            "7345.",
            "-1.2",
            "1.+2",
            "a.b",
            "1.2.3",
            "99999999999999999999.1",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_order_as_the_log() {
        let at = |transaction_id, position| {
            Cursor(Checkpoint {
                transaction_id,
                position,
            })
        };
        // A later transaction comes after, whatever position it took at insert.
        assert!(at(10, 99) < at(11, 5));
        assert!(at(10, 5) < at(10, 6));
    }
}
