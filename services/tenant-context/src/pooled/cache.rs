//! A bounded cache of values that expire, with one load per key at a time (single flight): the
//! tenant directory's records and the vended sessions of a pooled service both live in one.
//!
//! Each value is loaded with how long it may be reused; a failure is loaded with no time at all,
//! so the requests waiting on that load share its answer and the next request tries again. When
//! the cache is full, a new key first drops what has expired, then the entry that expires
//! soonest (not the least recently used: with one lifetime for every entry of a kind, soonest
//! expiring is oldest loaded, and it needs no bookkeeping on the hit path). That scan is linear
//! in the capacity and happens only on a miss at capacity.
//!
//! It knows nothing of tenants, STS or DynamoDB.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

// The tokio clock, so that tests can pause it and step through lifetimes.
use tokio::time::Instant;

pub struct Cache<K, V> {
    capacity: usize,
    entries: Mutex<HashMap<K, Arc<Entry<V>>>>,
}

struct Entry<V> {
    cell: tokio::sync::OnceCell<Loaded<V>>,
}

struct Loaded<V> {
    value: V,
    until: Instant,
}

impl<V> Entry<V> {
    /// Loading (join the load), or loaded and not yet expired.
    fn usable(&self, now: Instant) -> bool {
        self.cell.get().is_none_or(|loaded| loaded.until > now)
    }

    fn expired(&self, now: Instant) -> bool {
        !self.usable(now)
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    /// A cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: Mutex::default() }
    }

    /// The value of `key`: the cached one while it lasts, else what `load` gives (the value and
    /// how long it may be reused). Requests for a key being loaded wait for that load.
    pub async fn get<F, Fut>(&self, key: &K, load: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = (V, Duration)>,
    {
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            match entries.get(key) {
                Some(entry) if entry.usable(now) => entry.clone(),
                found => {
                    if found.is_none() && entries.len() >= self.capacity {
                        evict(&mut entries, now);
                    }
                    let entry = Arc::new(Entry { cell: tokio::sync::OnceCell::new() });
                    entries.insert(key.clone(), entry.clone());
                    entry
                }
            }
        };
        // If the loading request is dropped (its client hung up), the next waiter loads.
        let loaded = entry
            .cell
            .get_or_init(|| async {
                let (value, lifetime) = load().await;
                Loaded { value, until: Instant::now() + lifetime }
            })
            .await;
        loaded.value.clone()
    }

    /// How many entries are held (loading, live or expired but not yet dropped).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes room for one entry: drops every expired entry, and if none had expired, the loaded
/// entry that expires soonest (or, if every entry is loading, any one: its waiters keep it).
fn evict<K: Hash + Eq + Clone, V>(entries: &mut HashMap<K, Arc<Entry<V>>>, now: Instant) {
    let before = entries.len();
    entries.retain(|_, entry| !entry.expired(now));
    if entries.len() < before {
        return;
    }
    let soonest = entries
        .iter()
        .filter_map(|(key, entry)| entry.cell.get().map(|loaded| (loaded.until, key)))
        .min_by_key(|(until, _)| *until)
        .map(|(_, key)| key.clone())
        .or_else(|| entries.keys().next().cloned());
    if let Some(key) = soonest {
        entries.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counted(loads: &AtomicUsize, value: &'static str, lifetime: Duration) -> (&'static str, Duration) {
        loads.fetch_add(1, Ordering::SeqCst);
        (value, lifetime)
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_is_reused_until_its_lifetime_ends() {
        let cache = Cache::new(8);
        let loads = AtomicUsize::new(0);
        let load = || async { counted(&loads, "v", Duration::from_secs(30)) };
        assert_eq!(cache.get(&"a", load).await, "v");
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(cache.get(&"a", load).await, "v");
        assert_eq!(loads.load(Ordering::SeqCst), 1, "reused within 30 s");
        tokio::time::advance(Duration::from_secs(1)).await;
        cache.get(&"a", load).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "loaded again at 30 s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_is_shared_by_its_waiters_and_not_kept() {
        let cache = Cache::new(8);
        let loads = AtomicUsize::new(0);
        let slow_failure = || async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            counted(&loads, "failed", Duration::ZERO)
        };
        let (a, b, c) = tokio::join!(cache.get(&"k", slow_failure), cache.get(&"k", slow_failure), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cache.get(&"k", slow_failure).await
        });
        assert_eq!((a, b, c), ("failed", "failed", "failed"));
        assert_eq!(loads.load(Ordering::SeqCst), 1, "one load for three concurrent requests");
        cache.get(&"k", slow_failure).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a failure is not reused");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_the_expired_then_the_soonest_expiring() {
        let cache = Cache::new(3);
        let loads = AtomicUsize::new(0);
        for (key, secs) in [("a", 10), ("b", 30), ("c", 20)] {
            cache.get(&key, || async { counted(&loads, key, Duration::from_secs(secs)) }).await;
        }
        // Full and nothing expired: d evicts a (expires at 10 s, the soonest).
        cache.get(&"d", || async { counted(&loads, "d", Duration::from_secs(40)) }).await;
        assert_eq!(cache.len(), 3);
        let before = loads.load(Ordering::SeqCst);
        for key in ["b", "c", "d"] {
            cache.get(&key, || async { counted(&loads, "reloaded", Duration::from_secs(1)) }).await;
        }
        assert_eq!(loads.load(Ordering::SeqCst), before, "b, c and d were kept");
        cache.get(&"a", || async { counted(&loads, "a", Duration::from_secs(50)) }).await;
        assert_eq!(loads.load(Ordering::SeqCst), before + 1, "a was evicted, so it was loaded again");
        assert_eq!(cache.len(), 3, "and evicted c, now the soonest");
        // At 35 s, b (30 s) has expired as well as c: a new key drops the expired ones.
        tokio::time::advance(Duration::from_secs(35)).await;
        cache.get(&"e", || async { counted(&loads, "e", Duration::from_secs(5)) }).await;
        assert_eq!(cache.len(), 3, "d, a and e: b expired and was dropped");
    }
}
