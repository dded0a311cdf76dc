//! A run-wide stop request. A signal normally ends a run by dropping its
//! work; work that holds a session the other side should see closed (a
//! gateway socket) waits on `requested` and winds down itself, within the
//! short grace period `commands::run` gives it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::sync::Notify;

#[derive(Default)]
struct Stop {
    /// The signal that asked to stop; 0 while none has.
    signal: AtomicI32,
    notify: Notify,
}

impl Stop {
    fn request(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Resolves with the signal once a stop has been requested.
    async fn requested(&self) -> i32 {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a request in between
            // is not missed.
            notified.as_mut().enable();
            let signal = self.signal.load(Ordering::SeqCst);
            if signal != 0 {
                return signal;
            }
            notified.await;
        }
    }
}

fn global() -> &'static Stop {
    static STOP: OnceLock<Stop> = OnceLock::new();
    STOP.get_or_init(Stop::default)
}

/// Ask every `requested` waiter to stop, because of `signal`.
pub fn request(signal: i32) {
    global().request(signal);
}

/// Resolves with the signal once a stop has been requested (at once if it
/// already was).
pub async fn requested() -> i32 {
    global().requested().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_waiter_wakes_on_request_and_later_ones_at_once() {
        let stop = Arc::new(Stop::default());
        let waiting = stop.clone();
        let waiter = tokio::spawn(async move { waiting.requested().await });
        tokio::task::yield_now().await;
        stop.request(15);
        let woken = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(woken, 15);
        let later = tokio::time::timeout(Duration::from_secs(5), stop.requested())
            .await
            .expect("already requested");
        assert_eq!(later, 15);
    }
}
