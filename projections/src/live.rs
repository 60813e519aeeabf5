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
//! While nobody is subscribed the tailer reads no events: on each wake it
//! moves its cursor to the readable head (`read::pass_over`, which says why
//! a subscriber that joins meanwhile still misses nothing).
//!
//! A subscriber starts from a [`Cursor`] (the last event it saw, or else the
//! last event of the transactions committed when it starts): it joins the broadcast first, then
//! reads the log after its cursor in batches, as it consumes them, and
//! switches to the broadcast once a read finds nothing more, skipping what
//! it already had. Everything the tailer broadcast before the subscriber
//! joined was readable before that read, so nothing falls between the two.
//! "Readable" is the feed's rule: an event whose transaction committed while
//! an older one was still running becomes readable when that one ends; a
//! subscription without a cursor waits (briefly) for those to end first.
//!
//! With a hot standby (`--read-database-url`), a subscriber with a cursor
//! reads its backlog from the standby until a read there finds nothing
//! more, then goes on from the cursor it reached on the primary
//! (`catch_up`: why that is gap-free). It turns live only after a read of
//! the *primary* finds nothing more: the argument above needs the read that
//! ends the catch-up to see everything the tailer (on the primary, where
//! NOTIFY and the running transactions are) broadcast before the subscriber
//! joined, and the standby may not have replayed it yet. A standby that
//! fails a read is passed over: the catch-up goes on from the primary.

mod catch_up;
mod read;
mod types;

use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use sqlx::PgPool;
use store::EventStore;
use tokio::sync::broadcast;

pub use catch_up::CatchUpCounts;
use catch_up::{CatchUp, Source};
use read::{read_after, settled_head, tail};
pub use types::{Cursor, LiveError, LiveEvent, LiveFact, LiveSettings};

/// Longest a subscription without a cursor (or `head`) waits for the
/// transactions running when it started to end.
const SETTLE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The process's one tail of the log. Cheap to clone; the tailer stops
/// when the last clone is dropped.
#[derive(Clone)]
pub struct LiveLog {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    catch_up: CatchUp,
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
    /// Starts the tailer, on the primary's `pool`; `replica`, a hot
    /// standby (with the health lists share), serves catch-ups from a
    /// client's cursor while usable. Must be
    /// called inside a Tokio runtime.
    pub fn spawn(
        pool: PgPool,
        replica: Option<Arc<store::standby::StandbyHealth>>,
        store: EventStore,
        settings: LiveSettings,
    ) -> Self {
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
                catch_up: CatchUp::new(replica),
                store,
                sender,
                batch_size: settings.batch_size.max(1),
                tailer,
            }),
        }
    }

    /// The last event of the transactions committed by now: where a
    /// subscription without a cursor starts. A client that takes it, lists,
    /// then subscribes after it misses nothing in between.
    pub async fn head(&self) -> Result<Cursor, sqlx::Error> {
        settled_head(&self.shared.pool, SETTLE_PATIENCE).await
    }

    /// Subscribers now joined to the broadcast.
    pub fn subscribers(&self) -> usize {
        self.shared.sender.receiver_count()
    }

    /// Events subscribers read while catching up, by where they read them.
    pub fn catch_up_counts(&self) -> CatchUpCounts {
        self.shared.catch_up.counts()
    }

    /// Every committed Call and Case event after `after` (or, without it,
    /// after the transactions committed when the subscription starts), in log
    /// order, then live. Ends after an error.
    pub fn subscribe(
        &self,
        after: Option<Cursor>,
    ) -> impl Stream<Item = Result<Arc<LiveEvent>, LiveError>> + Send + 'static {
        // Without a cursor, the start is the primary's head: the standby
        // has nothing after it.
        let source = match after {
            Some(_) => self.shared.catch_up.first_source(),
            None => Source::Primary,
        };
        let subscriber = Subscriber {
            receiver: self.shared.sender.subscribe(),
            log: self.clone(),
            cursor: after,
            source,
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

    /// Reads and decodes up to `limit` events after `after` from `source`;
    /// also says how far the read went (events of other streams count: they
    /// are passed).
    async fn read_after(
        &self,
        source: Source,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<LiveEvent>, Option<Cursor>), sqlx::Error> {
        let pool = self.shared.catch_up.pool(&self.shared.pool, source);
        read_after(pool, &self.shared.store, after, limit).await
    }
}

struct Subscriber {
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
    log: LiveLog,
    /// The last event handed out (or passed over); `None` until the start is known.
    cursor: Option<Cursor>,
    /// Where the catch-up reads now: the standby, then the primary.
    source: Source,
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
                    let Ok(start) = settled_head(&self.log.shared.pool, SETTLE_PATIENCE).await
                    else {
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
                let read = self.log.read_after(self.source, cursor, batch_size).await;
                let catch_up = &self.log.shared.catch_up;
                match (read, self.source) {
                    (Ok((events, Some(reached))), source) => {
                        if source == Source::Replica {
                            catch_up.replica_answered();
                        }
                        catch_up.count(source, events.len());
                        self.cursor = Some(reached);
                        self.pending.extend(events.into_iter().map(Arc::new));
                    }
                    // What the standby has not replayed yet, and the read
                    // that ends the catch-up, come from the primary.
                    (Ok((_, None)), Source::Replica) => {
                        catch_up.replica_answered();
                        self.source = Source::Primary;
                    }
                    (Ok((_, None)), Source::Primary) => self.live = true,
                    (Err(e), Source::Replica) => {
                        tracing::warn!(error = %crate::error::describe_sqlx(&e), "live catch-up cannot read the standby; reading the primary");
                        catch_up.replica_failed();
                        self.source = Source::Primary;
                    }
                    (Err(_), Source::Primary) => return Some(Err(LiveError::Unavailable)),
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
