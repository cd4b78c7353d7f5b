//! Attempt throttling with token buckets. Failed sign-ins are limited per account and per client address, so a
//! password cannot be guessed at speed while people who mistype once or twice never notice; sign-ups are limited
//! per client address, so one address cannot fill the users table or keep the password hashers busy.
//!
//! The client address is the peer's, or behind a trusted proxy the one it forwards (`ClientAddr`).
//!
//! The buckets live in this instance's memory: several instances each apply the limit (so the whole
//! deployment allows N times as many guesses), which still turns brute force from millions of guesses an hour
//! into a few hundred.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::config::IpRange;
use crate::error::AppError;
use crate::state::AppState;

/// How many attempts a key may make in a row, and how fast that allowance comes back.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub burst: f64,
    pub refill_every: Duration,
}

/// Per account: 5 failures at once, then one more every 30 s (120 an hour).
pub const PER_ACCOUNT: Limit = Limit { burst: 5.0, refill_every: Duration::from_secs(30) };
/// Per address: generous, because many people may share one address (an office, a reverse proxy).
pub const PER_ADDRESS: Limit = Limit { burst: 30.0, refill_every: Duration::from_secs(2) };

/// Sign-ups per address come back one every 30 s (120 an hour); the burst is configured.
const SIGNUP_REFILL: Duration = Duration::from_secs(30);

/// Entries past this make the limiter drop the buckets that are full again (they limit nothing).
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct AttemptLimiter {
    buckets: Mutex<HashMap<String, (Limit, Bucket)>>,
}

impl Default for AttemptLimiter {
    fn default() -> Self {
        Self { buckets: Mutex::new(HashMap::new()) }
    }
}

fn refill(limit: Limit, bucket: Bucket, now: Instant) -> Bucket {
    let earned = now.duration_since(bucket.updated).as_secs_f64() / limit.refill_every.as_secs_f64();
    Bucket { tokens: (bucket.tokens + earned).min(limit.burst), updated: now }
}

impl AttemptLimiter {
    /// `Err(retry_after_secs)` while any of `keys` has no attempt left.
    pub fn check(&self, keys: &[(String, Limit)]) -> Result<(), u64> {
        let buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::allowance(&buckets, keys, Instant::now())
    }

    /// Counts one failure against each of `keys`.
    pub fn record_failure(&self, keys: &[(String, Limit)]) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::spend(&mut buckets, keys, Instant::now());
    }

    /// Checks and counts one attempt in one step, for limits that count every attempt (sign-ups): concurrent
    /// attempts cannot all pass the check before any of them is counted.
    pub fn attempt(&self, keys: &[(String, Limit)]) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::allowance(&buckets, keys, now)?;
        Self::spend(&mut buckets, keys, now);
        Ok(())
    }

    fn allowance(
        buckets: &HashMap<String, (Limit, Bucket)>,
        keys: &[(String, Limit)],
        now: Instant,
    ) -> Result<(), u64> {
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

    fn spend(buckets: &mut HashMap<String, (Limit, Bucket)>, keys: &[(String, Limit)], now: Instant) {
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

/// The keys a sign-up is counted under: its client address, with the configured burst (none when it is 0).
pub fn signup_keys(burst: u32, addr: Option<IpAddr>) -> Vec<(String, Limit)> {
    match addr {
        Some(addr) if burst > 0 => {
            vec![(format!("signup:{addr}"), Limit { burst: f64::from(burst), refill_every: SIGNUP_REFILL })]
        }
        _ => Vec::new(),
    }
}

/// The client's address: the connection's peer, or when the peer is a trusted proxy, the one it forwards.
/// `None` when the server runs without connect info.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(ClientAddr(peer.map(|peer| client_address(peer, &parts.headers, &state.trusted_proxies))))
    }
}

/// The right-most `X-Forwarded-For` entry that is not a trusted proxy, when the peer is one; else the peer.
/// Right to left because each proxy appends the address it saw: entries left of the first untrusted one were
/// written by the client and prove nothing.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.into_iter().rev() {
        // An entry we cannot read ends the trail: what lies left of it cannot be vouched for.
        let Some(hop) = parse_hop(hop) else { break };
        if !is_trusted(hop) {
            return hop;
        }
    }
    peer
}

/// An `X-Forwarded-For` entry: an IP address, perhaps with a port (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_burst_are_refused_until_the_bucket_refills() {
        let limiter = AttemptLimiter::default();
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
    fn every_sign_up_counts_and_a_burst_of_zero_limits_nothing() {
        let limiter = AttemptLimiter::default();
        let addr = Some("203.0.113.7".parse().unwrap());
        let keys = signup_keys(2, addr);
        assert!(limiter.attempt(&keys).is_ok());
        assert!(limiter.attempt(&keys).is_ok());
        let wait = limiter.attempt(&keys).unwrap_err();
        assert!((29..=30).contains(&wait), "{wait}");
        assert!(limiter.attempt(&signup_keys(2, Some("203.0.113.8".parse().unwrap()))).is_ok());
        assert!(signup_keys(0, addr).is_empty());
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_untrusted_forwarded_address() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let trusted = [IpRange::parse("127.0.0.1").unwrap(), IpRange::parse("10.0.0.0/24").unwrap()];
        let client: IpAddr = "198.51.100.4".parse().unwrap();
        let spoofed = forwarded(&["6.6.6.6, 198.51.100.4, 10.0.0.2"]);
        assert_eq!(client_address(proxy, &spoofed, &trusted), client);
        assert_eq!(client_address(proxy, &forwarded(&["6.6.6.6", "198.51.100.4:4711"]), &trusted), client);
        assert_eq!(client_address(proxy, &forwarded(&[]), &trusted), proxy, "no header: the peer");
        assert_eq!(client_address(proxy, &forwarded(&["10.0.0.2"]), &trusted), proxy, "only proxies: the peer");
        assert_eq!(client_address(proxy, &forwarded(&["6.6.6.6, unknown"]), &trusted), proxy, "unreadable");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(client_address(mapped, &spoofed, &trusted), client, "an IPv4 peer on an IPv6 socket");
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let trusted = [IpRange::parse("127.0.0.1").unwrap()];
        let peer: IpAddr = "198.51.100.4".parse().unwrap();
        assert_eq!(client_address(peer, &forwarded(&["6.6.6.6"]), &trusted), peer);
    }

    #[test]
    fn retry_after_is_at_least_a_second() {
        let limiter = AttemptLimiter::default();
        let keys = login_keys("bob", None);
        for _ in 0..5 {
            limiter.record_failure(&keys);
        }
        let wait = limiter.check(&keys).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
    }
}
