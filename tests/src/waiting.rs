//! Waiting for a condition instead of for a time: the suites poll what they
//! wait for (a lock taken, a standby replayed, transactions settled) at a
//! short interval, up to a patience that is a hang guard, not a bound.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Checks `holds` every `every` until it is true or `patience` has passed;
/// whether it held.
pub async fn until<F, Fut>(patience: Duration, every: Duration, mut holds: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    loop {
        if holds().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}
