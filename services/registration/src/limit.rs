//! A token bucket per client address: `per_minute` sign-ups a minute, up to `burst` at once. The
//! ingress limits requests per second too; this limits what reaches the registry, per address,
//! across the service's lifetime (a burst of fresh addresses is bounded by `max_clients`).

use std::collections::HashMap;
use std::sync::Mutex;
// The tokio clock, so that tests can pause it and step through refills.
use tokio::time::Instant;

/// The limits, and the buckets of the addresses seen.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    max_clients: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `per_minute` tokens a minute, at most `burst` saved, for at most `max_clients` addresses
    /// at once.
    pub fn new(per_minute: u32, burst: u32, max_clients: usize) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            max_clients,
            buckets: Mutex::default(),
        }
    }

    /// Takes a token for `client`, or says how many seconds until one is there.
    pub fn take(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let refill = |b: Bucket| (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_second).min(self.burst);
        if !buckets.contains_key(client) && buckets.len() >= self.max_clients {
            // A full bucket is what a new one would be: forgetting it loses nothing.
            buckets.retain(|_, b| refill(*b) < self.burst);
            if buckets.len() >= self.max_clients {
                // Fail closed: more distinct addresses than the cap are signing up right now.
                return Err(60);
            }
        }
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        let tokens = refill(*bucket);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            let wait = if self.per_second > 0.0 { (1.0 - tokens) / self.per_second } else { 3600.0 };
            Err(wait.ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_client_gets_its_burst_then_one_token_per_refill_and_others_are_unaffected() {
        let limiter = RateLimiter::new(6, 2, 100); // one every 10 s
        assert_eq!(limiter.take("a"), Ok(()));
        assert_eq!(limiter.take("a"), Ok(()));
        assert_eq!(limiter.take("a"), Err(10));
        assert_eq!(limiter.take("b"), Ok(()), "another address has its own bucket");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(limiter.take("a"), Err(5));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(limiter.take("a"), Ok(()));
        assert_eq!(limiter.take("a"), Err(10));
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_client_cap_full_buckets_are_forgotten_and_otherwise_new_clients_wait() {
        let limiter = RateLimiter::new(60, 1, 2);
        assert_eq!(limiter.take("a"), Ok(()));
        assert_eq!(limiter.take("b"), Ok(()));
        assert_eq!(limiter.take("c"), Err(60), "two clients with empty buckets: the cap holds");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(limiter.take("c"), Ok(()), "a and b refilled, so they were forgotten");
    }
}
