//! Stopping an apply from outside (SIGINT, SIGTERM): the first request drains (no new step
//! starts, the running ones may finish within the grace period), the second cuts the running
//! ones off at once. This module knows nothing of signals; the CLI turns them into requests.

use std::fmt;
use std::sync::Arc;

use tokio::sync::watch;

/// How far an apply has been asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Running,
    /// Start nothing new; let what runs finish, up to the grace period.
    Drain,
    /// Cut off what runs now.
    Abort,
}

/// A handle shared by whoever asks an apply to stop and the engine that obeys.
#[derive(Clone)]
pub struct Interrupt(Arc<watch::Sender<Level>>);

impl Default for Interrupt {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(Level::Running)))
    }
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interrupt({:?})", self.level())
    }
}

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }

    /// One more request to stop: the first drains, the second aborts. Returns the new level.
    pub fn escalate(&self) -> Level {
        let mut level = Level::Running;
        self.0.send_modify(|l| {
            *l = if *l == Level::Running { Level::Drain } else { Level::Abort };
            level = *l;
        });
        level
    }

    pub fn level(&self) -> Level {
        *self.0.borrow()
    }

    /// Resolves once the apply has been asked to stop at least this far.
    pub async fn reached(&self, level: Level) {
        let mut watching = self.0.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = watching.wait_for(|l| *l >= level).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_escalate_from_drain_to_abort() {
        let interrupt = Interrupt::new();
        assert_eq!(interrupt.level(), Level::Running);
        let waiting = tokio::spawn({
            let interrupt = interrupt.clone();
            async move { interrupt.reached(Level::Abort).await }
        });
        assert_eq!(interrupt.escalate(), Level::Drain);
        interrupt.reached(Level::Drain).await;
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a drain is no abort");
        assert_eq!(interrupt.escalate(), Level::Abort);
        waiting.await.unwrap();
        assert_eq!(interrupt.escalate(), Level::Abort, "and it stays there");
    }
}
