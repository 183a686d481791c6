//! Retrying transient failures: exponential backoff with full jitter, bounded in attempts.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 6, base: Duration::from_millis(500), cap: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1): a random duration up to
    /// `min(cap, base * 2^(attempt-1))`, so retrying clients spread out instead of colliding.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponential = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exponential.min(self.cap);
        ceiling.mul_f64(fastrand::f64())
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails with an error `transient` says is permanent, or
    /// has been tried `max_attempts` times; `before_retry(attempt, delay, error)` is told of each
    /// wait. Returns the last result and how many attempts it took. Steps and journal reads and
    /// writes all retry through here, so they back off alike.
    pub async fn run<T, E, Fut>(
        &self,
        mut attempt: impl FnMut() -> Fut,
        transient: impl Fn(&E) -> bool,
        mut before_retry: impl FnMut(u32, Duration, &E),
    ) -> (Result<T, E>, u32)
    where
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let mut attempts = 1;
        loop {
            match attempt().await {
                Err(error) if transient(&error) && attempts < self.max_attempts => {
                    let delay = self.delay(attempts);
                    before_retry(attempts, delay, &error);
                    tokio::time::sleep(delay).await;
                    attempts += 1;
                }
                other => return (other, attempts),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn run_retries_transient_errors_only_and_within_the_bound() {
        let policy = RetryPolicy { max_attempts: 4, base: Duration::from_millis(100), cap: Duration::from_secs(1) };
        // (errors before success: true = transient, expected result, attempts, retries told)
        for (errors, ok, attempts, told) in [
            (vec![], true, 1, 0),
            (vec![true, true], true, 3, 2),
            (vec![false], false, 1, 0),
            (vec![true, false], false, 2, 1),
            (vec![true; 9], false, 4, 3),
        ] {
            let left = std::cell::RefCell::new(errors.clone().into_iter());
            let mut retries = 0;
            let (result, tried) = policy
                .run(
                    || {
                        let next = left.borrow_mut().next();
                        async move { next.map_or(Ok(()), Err) }
                    },
                    |transient: &bool| *transient,
                    |_, delay, _| {
                        assert!(delay <= Duration::from_secs(1));
                        retries += 1;
                    },
                )
                .await;
            assert_eq!((result.is_ok(), tried, retries), (ok, attempts, told), "{errors:?}");
        }
    }

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let policy = RetryPolicy { max_attempts: 10, base: Duration::from_millis(100), cap: Duration::from_secs(1) };
        for attempt in 1..12 {
            let ceiling = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(policy.delay(attempt) <= ceiling);
            }
        }
    }
}
