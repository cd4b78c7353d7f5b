//! Login throttling: failed sign-ins are limited per account and per client address with token buckets, so a
//! password cannot be guessed at speed while people who mistype once or twice never notice.
//!
//! The buckets live in this instance's memory: several instances each apply the limit (so the whole
//! deployment allows N times as many guesses), which still turns brute force from millions of guesses an hour
//! into a few hundred.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::AppError;

/// How many failures a key may have in a row, and how fast that allowance comes back.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub burst: f64,
    pub refill_every: Duration,
}

/// Per account: 5 failures at once, then one more every 30 s (120 an hour).
pub const PER_ACCOUNT: Limit = Limit { burst: 5.0, refill_every: Duration::from_secs(30) };
/// Per address: generous, because many people may share one address (an office, a reverse proxy).
pub const PER_ADDRESS: Limit = Limit { burst: 30.0, refill_every: Duration::from_secs(2) };

/// Entries past this make the limiter drop the buckets that are full again (they limit nothing).
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct LoginLimiter {
    buckets: Mutex<HashMap<String, (Limit, Bucket)>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self { buckets: Mutex::new(HashMap::new()) }
    }
}

fn refill(limit: Limit, bucket: Bucket, now: Instant) -> Bucket {
    let earned = now.duration_since(bucket.updated).as_secs_f64() / limit.refill_every.as_secs_f64();
    Bucket { tokens: (bucket.tokens + earned).min(limit.burst), updated: now }
}

impl LoginLimiter {
    /// `Err(retry_after_secs)` while any of `keys` has no failure left.
    pub fn check(&self, keys: &[(String, Limit)]) -> Result<(), u64> {
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let wait = keys
            .iter()
            .filter_map(|(key, limit)| {
                let (_, bucket) = buckets.get(key)?;
                let bucket = refill(*limit, *bucket, now);
                (bucket.tokens < 1.0).then_some(limit.refill_every.as_secs_f64() * (1.0 - bucket.tokens))
            })
            .fold(0.0_f64, f64::max);
        if wait > 0.0 { Err(wait.ceil().max(1.0) as u64) } else { Ok(()) }
    }

    /// Counts one failure against each of `keys`.
    pub fn record_failure(&self, keys: &[(String, Limit)]) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, (limit, bucket)| refill(*limit, *bucket, now).tokens < limit.burst);
        }
        for (key, limit) in keys {
            let (_, bucket) =
                buckets.entry(key.clone()).or_insert((*limit, Bucket { tokens: limit.burst, updated: now }));
            *bucket = refill(*limit, *bucket, now);
            bucket.tokens = (bucket.tokens - 1.0).max(0.0);
        }
    }

    /// A success clears the account's failures (a person who finally typed it right starts afresh).
    pub fn forget(&self, key: &str) {
        self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }
}

/// The keys a login attempt is counted under.
pub fn login_keys(username: &str, addr: Option<IpAddr>) -> Vec<(String, Limit)> {
    let mut keys = vec![(account_key(username), PER_ACCOUNT)];
    if let Some(addr) = addr {
        keys.push((format!("addr:{addr}"), PER_ADDRESS));
    }
    keys
}

pub fn account_key(username: &str) -> String {
    format!("user:{username}")
}

/// The peer address of the connection, when the server was started with connect info.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_burst_are_refused_until_the_bucket_refills() {
        let limiter = LoginLimiter::default();
        let fast = Limit { burst: 3.0, refill_every: Duration::from_millis(50) };
        let keys = vec![("user:ann".to_owned(), fast)];
        for _ in 0..3 {
            assert!(limiter.check(&keys).is_ok());
            limiter.record_failure(&keys);
        }
        assert!(limiter.check(&keys).is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.check(&keys).is_ok(), "one failure came back");
        limiter.forget("user:ann");
        assert!(limiter.check(&keys).is_ok());
    }

    #[test]
    fn retry_after_is_at_least_a_second() {
        let limiter = LoginLimiter::default();
        let keys = login_keys("bob", None);
        for _ in 0..5 {
            limiter.record_failure(&keys);
        }
        let wait = limiter.check(&keys).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
    }
}
