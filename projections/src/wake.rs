//! Waking the readers of the log when events are appended. The projectors
//! (`runtime.rs`) and the live updates' tailer (`live/read.rs`) each wait
//! on two counters: the store's, bumped when this process commits events
//! (`EventStore::appended`, no round trip), and one that a LISTEN
//! connection bumps on every other process's notification, and whenever it
//! had to connect again (notifications may have been missed).

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use store::wake::EVENTS_CHANNEL;
use store::EventStore;
use tokio::sync::watch;

/// Bumps the wake counter on every notification but this process's own
/// (`store::wake`: the store's counter woke its readers already), and
/// whenever the listening connection was lost and re-established
/// (notifications may have been missed).
pub(crate) async fn listen(
    pool: PgPool,
    store: EventStore,
    wake: Arc<watch::Sender<u64>>,
    mut stop: watch::Receiver<bool>,
    retry: Duration,
) {
    let bump = |wake: &watch::Sender<u64>| wake.send_modify(|n| *n = n.wrapping_add(1));
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(EVENTS_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %crate::error::describe_sqlx(&e), "cannot listen for new events; polling");
                // Idle projectors wait for this task alone: while it cannot
                // listen, it wakes them every `retry` instead.
                bump(&wake);
                if pause(&mut stop, retry).await {
                    return;
                }
                continue;
            }
        };
        bump(&wake);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                received = listener.try_recv() => match received {
                    Ok(Some(notice)) if store.is_own_notification(notice.payload()) => {}
                    // `None`: the connection was lost and is re-established
                    // on the next call; notifications may have been missed.
                    Ok(_) => bump(&wake),
                    Err(e) => {
                        tracing::warn!(error = %crate::error::describe_sqlx(&e), "lost the event listener");
                        break;
                    }
                },
            }
        }
    }
}

/// Sleeps for `duration` unless asked to stop first; returns whether to stop.
pub(crate) async fn pause(stop: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = stop.changed() => true,
        _ = tokio::time::sleep(duration) => *stop.borrow(),
    }
}
