//! Login flood: C concurrent clients (each its own connection, from 127.0.0.x in turn) send S sign-ups, then S
//! sign-ins of the accounts that signed up, over real HTTP, while the server's RSS is sampled every 100 ms from
//! before the flood until 30 s after it. Each password costs an Argon2id hash of 19 MiB: what is measured is
//! whether the server bounds that memory, and whether it gives it back.
//!
//! 503 is an answer the server may give under load (busy, retry later); any other 5xx or a timeout fails the run.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use clap::Args;
use serde_json::{Value, json};

use crate::Common;
use crate::client::PASSWORD;
use crate::stats::{self, Dist, Sharded, rss_kib};

#[derive(Args, Clone)]
pub struct LoginFloodArgs {
    /// Clients sending at once (each its own connection).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Sign-ups; as many sign-ins follow.
    #[arg(long, default_value_t = 300)]
    pub signups: usize,
    /// How long RSS is followed after the last answer.
    #[arg(long, default_value_t = 30)]
    pub after_seconds: u64,
    /// One request's timeout.
    #[arg(long, default_value_t = 60)]
    pub timeout_seconds: u64,
    /// Target: the most RSS at any moment (MiB).
    #[arg(long, default_value_t = 256)]
    pub peak_target_mib: u64,
    /// Target: RSS above idle once `after_seconds` have passed (MiB).
    #[arg(long, default_value_t = 64)]
    pub after_target_mib: u64,
}

/// Answers by status, counted.
#[derive(Default)]
struct Tally {
    created: usize,
    ok: usize,
    limited: usize,
    unavailable: usize,
    other_5xx: usize,
    other: usize,
    timeouts: usize,
    failed: usize,
}

impl Tally {
    fn count(&mut self, answer: &Result<u16, reqwest::Error>) {
        match answer {
            Ok(201) => self.created += 1,
            Ok(200) => self.ok += 1,
            Ok(429) => self.limited += 1,
            Ok(503) => self.unavailable += 1,
            Ok(500..=599) => self.other_5xx += 1,
            Ok(_) => self.other += 1,
            Err(err) if err.is_timeout() => self.timeouts += 1,
            Err(_) => self.failed += 1,
        }
    }

    fn json(&self) -> Value {
        json!({"201": self.created, "200": self.ok, "429": self.limited, "503": self.unavailable,
               "other_5xx": self.other_5xx, "other": self.other, "timeouts": self.timeouts,
               "connection_errors": self.failed})
    }
}

/// One phase (sign-up or sign-in): `n` requests shared by `clients` workers; each answer's latency and status.
async fn phase(
    clients: &[reqwest::Client],
    url: String,
    bodies: Arc<Vec<Value>>,
) -> (Dist, Tally, Vec<Option<u16>>, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let hist = Arc::new(Sharded::new(clients.len()));
    let answers = Arc::new(Mutex::new(vec![None; bodies.len()]));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let workers = clients.iter().enumerate().map(|(w, http)| {
        let (http, url, bodies, next) = (http.clone(), url.clone(), Arc::clone(&bodies), Arc::clone(&next));
        let (hist, answers, tally) = (Arc::clone(&hist), Arc::clone(&answers), Arc::clone(&tally));
        async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let sent = Instant::now();
                let answer = match http.post(&url).json(body).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        // The body too: a request is answered when its answer has arrived whole.
                        resp.bytes().await.map(|_| status)
                    }
                    Err(err) => Err(err),
                };
                hist.record(w, sent.elapsed().as_micros() as u64);
                tally.lock().unwrap_or_else(PoisonError::into_inner).count(&answer);
                answers.lock().unwrap_or_else(PoisonError::into_inner)[i] = answer.ok();
            }
        }
    });
    futures_util::future::join_all(workers).await;
    let seconds = started.elapsed().as_secs_f64();
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(PoisonError::into_inner));
    let answers = std::mem::take(&mut *answers.lock().unwrap_or_else(PoisonError::into_inner));
    (Dist::of(&hist.merged()), tally, answers, seconds)
}

/// RSS samples (milliseconds since the start, KiB) every 100 ms until `stop`.
fn sample_rss(pid: u32, stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<Vec<(u64, u64)>> {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while !*stop.borrow() {
            tick.tick().await;
            match rss_kib(pid) {
                Ok(kib) => samples.push((t0.elapsed().as_millis() as u64, kib)),
                Err(_) => break,
            }
        }
        samples
    })
}

pub async fn run(common: &Common, args: &LoginFloodArgs) -> anyhow::Result<()> {
    let pid = common.server_pid.ok_or_else(|| anyhow!("login-flood needs --server-pid (or BENCH_SERVER_PID)"))?;
    let base = common.server.trim_end_matches('/').to_owned();
    let sources = common.sources.clamp(1, 250);
    let clients = (0..args.clients.max(1))
        .map(|c| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(args.timeout_seconds))
                .pool_max_idle_per_host(1)
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (c % sources) as u8)))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sampler = sample_rss(pid, stop_rx);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kib(pid)?;
    let flood_started = Instant::now();

    let prefix = format!("{}_l", common.run_id());
    let names: Vec<String> = (0..args.signups).map(|i| format!("{prefix}_{i}")).collect();
    let signups: Vec<Value> =
        names.iter().map(|n| json!({"username": n, "password": PASSWORD, "display_name": n})).collect();
    eprintln!("login-flood: {} sign-ups from {} clients…", signups.len(), clients.len());
    let (up_latency, up, up_answers, up_seconds) =
        phase(&clients, format!("{base}/api/auth/register"), Arc::new(signups)).await;
    eprintln!("login-flood: sign-ups {} in {up_seconds:.1} s: {up_latency}", up.json());

    // Sign-ins of the accounts that exist, in turn, as many as there were sign-ups.
    let made: Vec<&String> = names.iter().zip(&up_answers).filter(|(_, a)| **a == Some(201)).map(|(n, _)| n).collect();
    let signins: Vec<Value> = if made.is_empty() {
        Vec::new()
    } else {
        (0..args.signups).map(|i| json!({"username": made[i % made.len()], "password": PASSWORD})).collect()
    };
    eprintln!("login-flood: {} sign-ins…", signins.len());
    let (in_latency, inn, _, in_seconds) = phase(&clients, format!("{base}/api/auth/login"), Arc::new(signins)).await;
    eprintln!("login-flood: sign-ins {} in {in_seconds:.1} s: {in_latency}", inn.json());
    let flood_seconds = flood_started.elapsed().as_secs_f64();
    drop(clients);

    tokio::time::sleep(Duration::from_secs(args.after_seconds)).await;
    let after = rss_kib(pid)?;
    let _ = stop_tx.send(true);
    let samples = sampler.await.unwrap_or_default();
    let peak = samples.iter().map(|&(_, kib)| kib).chain([idle, after]).max().unwrap_or(after);
    let peak_at = samples.iter().find(|&&(_, kib)| kib == peak).map(|&(ms, _)| ms);
    // One sample a second for the record: the shape of the climb and of the return.
    let series: Vec<Value> = samples.iter().step_by(10).map(|&(ms, kib)| json!([ms, kib])).collect();

    let mib = |kib: u64| kib as f64 / 1024.0;
    let peak_met = peak <= args.peak_target_mib * 1024;
    let after_met = after.saturating_sub(idle) <= args.after_target_mib * 1024;
    eprintln!(
        "login-flood: RSS idle {:.1} MiB, peak {:.1} MiB ({}), +{} s {:.1} MiB (+{:.1} MiB over idle; {})",
        mib(idle),
        mib(peak),
        if peak_met { "met" } else { "MISSED" },
        args.after_seconds,
        mib(after),
        mib(after.saturating_sub(idle)),
        if after_met { "met" } else { "MISSED" }
    );
    let broken = up.other_5xx + inn.other_5xx + up.timeouts + inn.timeouts + up.failed + inn.failed;
    stats::emit(
        common.out.as_deref(),
        "login-flood",
        "corkboard",
        json!({"clients": args.clients, "signups": args.signups, "signins": args.signups,
               "after_seconds": args.after_seconds, "peak_target_mib": args.peak_target_mib,
               "after_target_mib": args.after_target_mib}),
        json!({"rss_idle_kib": idle, "rss_peak_kib": peak, "rss_peak_at_ms": peak_at, "rss_after_kib": after,
               "rss_after_over_idle_kib": after.saturating_sub(idle) as i64,
               "peak_met": peak_met, "after_met": after_met,
               "signup": {"statuses": up.json(), "latency": up_latency, "seconds": up_seconds},
               "signin": {"statuses": inn.json(), "latency": in_latency, "seconds": in_seconds},
               "flood_seconds": flood_seconds, "rss_series_ms_kib": series}),
    );
    if broken > 0 {
        anyhow::bail!("{broken} requests got a 5xx other than 503, timed out or lost their connection");
    }
    Ok(())
}
