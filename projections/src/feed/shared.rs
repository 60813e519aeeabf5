//! One read of the log for all of this process's projectors.
//!
//! Five projectors follow the same log, and each read every batch itself:
//! five reads of the same rows, two JSON decodes of every call. Now the
//! first projector that needs events after a checkpoint reads them, decoded
//! for all of them (calls, cases and chain hashes: [`Streams::ALL`]), and
//! leaves the run here; the others take their part of it.
//!
//! Why another projector's run is as good as one's own read: a read after
//! checkpoint X returns, in commit-safe order, the events after X whose
//! transactions had ended when it ran, up to its limit (`feed.rs`). No event
//! can ever appear between X and the run's last event: every transaction
//! older than the read's xmin had ended, and every later one sorts after
//! the run. So for any checkpoint Y inside a run, the run's events after Y
//! are exactly what a read after Y would begin with, whenever it ran.
//!
//! What a run cannot tell is whether more was committed after it was read.
//! A projector goes to sleep after a step only if the step's events came
//! from a read that began after the last notification the projector took
//! ([`Seen`], [`Part::fresh`]), and that read did not stop at its limit
//! ([`Part::more`]); otherwise it steps again, so that a commit never waits
//! for a notification that was already used up.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sqlx::PgConnection;
use store::EventStore;

use super::{read_after, Checkpoint, Fact, Logged, Streams};

/// Runs kept: a projector more than this many reads behind reads for itself.
const RUNS: usize = 8;

/// The notifications a projector had taken when it stepped: the counters of
/// this process's commits (`EventStore::appended`) and of other processes'
/// NOTIFYs (`wake.rs`). Both only grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub appended: u64,
    pub woken: u64,
}

impl Seen {
    /// Whether a read that began after `self` was taken saw everything `other` announced.
    fn covers(self, other: Seen) -> bool {
        self.appended >= other.appended && self.woken >= other.woken
    }
}

/// One read: every event after `after` that was readable then, up to its limit.
struct Run {
    after: Checkpoint,
    /// Never empty (an empty read is not kept: it says nothing about later).
    events: Vec<Logged>,
    /// What its reader had been notified of before reading.
    seen: Seen,
    /// Committed events waited behind an older transaction when it was read.
    waiting: bool,
    /// It stopped at its limit: more may have been readable already.
    full: bool,
}

/// A projector's part of a run: the events after its checkpoint, as it
/// sees them ([`Logged::seen_by`]).
pub(crate) struct Part {
    pub events: Vec<Logged>,
    pub waiting: bool,
    /// Whether the read began after every notification the projector took:
    /// if not, it must step again before it sleeps.
    pub fresh: bool,
    /// The read stopped at its limit: more may be readable, step again now.
    pub more: bool,
}

/// The recent runs of this process's projectors.
#[derive(Default)]
pub(crate) struct SharedFeed {
    runs: Mutex<VecDeque<Arc<Run>>>,
    /// One read at a time: projectors woken together wait for the first
    /// one's read instead of making the same read beside it.
    reading: tokio::sync::Mutex<()>,
}

impl SharedFeed {
    /// Up to `limit` events after `after`, from a run when one holds them,
    /// else read on `conn` (the projector's own connection) and kept.
    pub async fn read(
        &self,
        conn: &mut PgConnection,
        store: &EventStore,
        after: Checkpoint,
        limit: usize,
        streams: Streams,
        seen: Seen,
    ) -> Result<Part, sqlx::Error> {
        if let Some(part) = self.part(after, limit, streams, seen) {
            return Ok(part);
        }
        let _reading = self.reading.lock().await;
        if let Some(part) = self.part(after, limit, streams, seen) {
            return Ok(part);
        }
        let (events, waiting) = read_after(conn, store, after, limit).await?;
        Ok(self.keep(after, events, limit, waiting, seen, streams))
    }

    /// Keeps what a projector read after `after` (at `seen`, with `limit`),
    /// and returns its part.
    pub fn keep(
        &self,
        after: Checkpoint,
        events: Vec<Logged>,
        limit: usize,
        waiting: bool,
        seen: Seen,
        streams: Streams,
    ) -> Part {
        let mine = events.iter().map(|e| e.seen_by(streams)).collect();
        let full = events.len() >= limit;
        if !events.is_empty() {
            if let Ok(mut runs) = self.runs.lock() {
                if runs.len() >= RUNS {
                    runs.pop_front();
                }
                runs.push_back(Arc::new(Run {
                    after,
                    events,
                    seen,
                    waiting,
                    full,
                }));
            }
        }
        Part {
            events: mine,
            waiting,
            fresh: true,
            more: full,
        }
    }

    /// The events after `after` in the newest run that holds any.
    fn part(&self, after: Checkpoint, limit: usize, streams: Streams, seen: Seen) -> Option<Part> {
        let run = {
            let runs = self.runs.lock().ok()?;
            runs.iter()
                .rev()
                .find(|run| {
                    run.after <= after && run.events.last().is_some_and(|last| last.at > after)
                })
                .cloned()?
        };
        let start = run.events.partition_point(|e| e.at <= after);
        let rest = run.events.get(start..)?;
        let events = rest
            .iter()
            .take(limit)
            .map(|e| e.seen_by(streams))
            .collect();
        Some(Part {
            events,
            waiting: run.waiting,
            fresh: run.seen.covers(seen),
            // Taken short of the run's end, or the run stopped at its limit.
            more: rest.len() > limit || run.full,
        })
    }
}

impl Logged {
    /// The event as a reader of `streams` alone would have read it: facts
    /// of other streams (even unreadable ones) are ignored, and the stream's
    /// coordinates and hash are kept only for a reader of hashes.
    pub(crate) fn seen_by(&self, streams: Streams) -> Logged {
        let wanted = match &self.fact {
            Fact::Call(_) => streams.calls,
            Fact::Case(_) => streams.cases,
            Fact::Ignored => false,
            Fact::Unreadable(_) => streams.decodes(&self.stream_type),
        };
        let (stream_type, stream_id, hash) = if streams.hashes {
            (
                self.stream_type.clone(),
                self.stream_id.clone(),
                self.hash.clone(),
            )
        } else {
            Default::default()
        };
        Logged {
            at: self.at,
            stream: self.stream,
            sequence: self.sequence,
            fact: if wanted {
                self.fact.clone()
            } else {
                Fact::Ignored
            },
            stream_type,
            stream_id,
            hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    /// An event at (transaction 10 + i, position i) of a Case stream, unreadable
    /// (so it needs no payload), or of an unknown stream type.
    fn event(i: i64, stream_type: &str) -> Logged {
        Logged {
            at: Checkpoint {
                transaction_id: 10 + i,
                position: i,
            },
            stream: Uuid::nil(),
            sequence: i,
            fact: if stream_type == "Case" {
                Fact::Unreadable(format!("event {i}"))
            } else {
                Fact::Ignored
            },
            stream_type: stream_type.into(),
            stream_id: format!("stream-{i}"),
            hash: vec![7; 32],
        }
    }

    fn at(i: i64) -> Checkpoint {
        event(i, "Case").at
    }

    fn cases() -> Streams {
        Streams {
            cases: true,
            ..Streams::default()
        }
    }

    fn seen(appended: u64) -> Seen {
        Seen { appended, woken: 0 }
    }

    /// A feed holding one run after `at(0)` of events 1..=n, read with `limit` at `seen(5)`.
    fn feed_with_run(n: i64, limit: usize) -> SharedFeed {
        let feed = SharedFeed::default();
        let events = (1..=n).map(|i| event(i, "Case")).collect();
        let part = feed.keep(at(0), events, limit, false, seen(5), cases());
        assert!(part.fresh, "its reader's own read is fresh");
        feed
    }

    #[test]
    fn a_part_is_the_run_after_the_checkpoint_up_to_the_limit() {
        let feed = feed_with_run(6, 100);
        let part = feed.part(at(2), 100, cases(), seen(5)).expect("in the run");
        let positions: Vec<i64> = part.events.iter().map(|e| e.at.position).collect();
        assert_eq!(positions, [3, 4, 5, 6]);
        assert!(part.fresh && !part.more, "the run read everything readable");
        let part = feed.part(at(2), 2, cases(), seen(5)).expect("in the run");
        assert_eq!(part.events.len(), 2);
        assert!(part.more, "taken short of the run's end");
        assert!(
            feed.part(at(6), 100, cases(), seen(5)).is_none(),
            "past its end"
        );
        assert!(
            feed.part(at(0), 100, cases(), seen(5)).is_some(),
            "from its start"
        );
    }

    #[test]
    fn a_checkpoint_before_every_run_gets_nothing_from_them() {
        let feed = SharedFeed::default();
        let events = (4..=6).map(|i| event(i, "Case")).collect();
        feed.keep(at(3), events, 100, false, seen(5), cases());
        // Events 1..=3 are not in the run: reading from 1 must go to the log.
        assert!(feed.part(at(1), 100, cases(), seen(5)).is_none());
    }

    #[test]
    fn a_run_that_stopped_at_its_limit_says_more_may_be_readable() {
        let feed = feed_with_run(4, 4);
        let part = feed.part(at(2), 100, cases(), seen(5)).expect("in the run");
        assert_eq!(part.events.len(), 2);
        assert!(part.more);
    }

    #[test]
    fn a_run_read_before_the_readers_last_notification_is_not_fresh() {
        let feed = feed_with_run(4, 100);
        assert!(feed.part(at(1), 100, cases(), seen(5)).expect("run").fresh);
        assert!(feed.part(at(1), 100, cases(), seen(4)).expect("run").fresh);
        assert!(!feed.part(at(1), 100, cases(), seen(6)).expect("run").fresh);
        let woken = Seen {
            appended: 5,
            woken: 1,
        };
        assert!(!feed.part(at(1), 100, cases(), woken).expect("run").fresh);
    }

    #[test]
    fn each_reader_sees_only_its_streams_and_hashes() {
        let feed = SharedFeed::default();
        let events = vec![event(1, "Case"), event(2, "Person")];
        feed.keep(at(0), events, 100, false, seen(0), Streams::ALL);
        let calls = Streams {
            calls: true,
            ..Streams::default()
        };
        let part = feed.part(at(0), 100, calls, seen(0)).expect("run");
        // An unreadable Case event is not a Calls reader's to be stuck on.
        assert!(part.events.iter().all(|e| matches!(e.fact, Fact::Ignored)));
        assert!(part.events.iter().all(|e| e.hash.is_empty()));
        let part = feed.part(at(0), 100, cases(), seen(0)).expect("run");
        assert!(matches!(part.events[0].fact, Fact::Unreadable(_)));
        let leaves = Streams {
            hashes: true,
            ..Streams::default()
        };
        let part = feed.part(at(0), 100, leaves, seen(0)).expect("run");
        assert_eq!(part.events[1].stream_type, "Person");
        assert_eq!(part.events[1].stream_id, "stream-2");
        assert_eq!(part.events[1].hash, vec![7; 32]);
        assert!(matches!(part.events[0].fact, Fact::Ignored));
    }

    #[test]
    fn empty_reads_are_not_kept_and_runs_are_bounded() {
        let feed = SharedFeed::default();
        let part = feed.keep(at(0), Vec::new(), 100, false, seen(0), cases());
        assert!(part.events.is_empty() && part.fresh && !part.more);
        assert!(feed.part(at(0), 100, cases(), seen(0)).is_none());
        for i in 0..(RUNS as i64 + 3) {
            feed.keep(
                at(i),
                vec![event(i + 1, "Case")],
                100,
                false,
                seen(0),
                cases(),
            );
        }
        assert_eq!(feed.runs.lock().map(|r| r.len()).unwrap_or(0), RUNS);
        assert!(
            feed.part(at(0), 100, cases(), seen(0)).is_none(),
            "the oldest went"
        );
    }
}
