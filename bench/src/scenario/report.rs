//! `corkboard-bench report FILE`: the results of a run as markdown (the table in docs/BENCHMARKS.md).

use std::path::Path;

use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn mib(kib: &Value) -> f64 {
    f(kib) / 1024.0
}

fn verdict(met: &Value) -> &'static str {
    match met.as_bool() {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not judged",
    }
}

/// `201: 300, 503: 2, …`: the statuses that occurred.
fn statuses(v: &Value) -> String {
    let Some(map) = v.as_object() else { return String::new() };
    let seen: Vec<String> =
        map.iter().filter(|(_, n)| n.as_u64().unwrap_or(0) > 0).map(|(k, n)| format!("{k}: {n}")).collect();
    if seen.is_empty() { "none".into() } else { seen.join(", ") }
}

/// Who held the sockets: `(N users)` when the record says.
fn users(p: &Value) -> String {
    match p["users"].as_u64() {
        Some(n) if n > 0 => format!(" ({n} users)"),
        _ => String::new(),
    }
}

fn dist(v: &Value) -> String {
    format!("{:.1} / {:.1} / {:.1} / {:.1}", f(&v["p50_ms"]), f(&v["p99_ms"]), f(&v["p999_ms"]), f(&v["max_ms"]))
}

pub fn print(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let records: Vec<Value> =
        text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect();
    println!(
        "| scenario | target | parameters | p50 / p99 / p99.9 / max (ms) | other | ratio to baseline (p50, p99) | load avg |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in &records {
        let p = &r["params"];
        let res = &r["results"];
        let load = format!("{:.2}", f(&r["load_average"][0]));
        let target = r["target"].as_str().unwrap_or("");
        match r["scenario"].as_str().unwrap_or("") {
            "fanout" => {
                let w = p["watchers"].as_u64().unwrap_or(0);
                let rate = f(&p["rate"]);
                let ratio = if target == "corkboard" {
                    records
                        .iter()
                        .rfind(|b| {
                            b["scenario"] == "fanout"
                                && b["target"] == "baseline"
                                && b["params"]["watchers"] == p["watchers"]
                                && b["params"]["rate"] == p["rate"]
                        })
                        .map(|b| {
                            let be = &b["results"]["event"];
                            format!(
                                "{:.2}×, {:.2}×",
                                f(&res["event"]["p50_ms"]) / f(&be["p50_ms"]),
                                f(&res["event"]["p99_ms"]) / f(&be["p99_ms"])
                            )
                        })
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                println!(
                    "| fan-out receipt | {target} | {w} watchers{}, {rate} moves/s, {} movers | {} | ack {} ; missing {} of {} | {ratio} | {load} |",
                    users(p),
                    p["movers"],
                    dist(&res["event"]),
                    dist(&res["ack"]),
                    res["missing_events"],
                    res["expected_events"]
                );
            }
            "throughput" => println!(
                "| throughput | {target} | {} boards × {} movers, offered {} moves/s | ack {} | committed {:.0} moves/s (db {}) , errors {} | | {load} |",
                p["boards"],
                p["movers_per_board"],
                p["offered_rate"],
                dist(&res["ack"]),
                f(&res["committed_per_second"]),
                res["committed_db"],
                res["errors"]
            ),
            "idle" => println!(
                "| idle RSS | {target} | {} sockets{} | | {:.0} B/socket (RSS_0 {} KiB) | | {load} |",
                res["sockets"],
                users(p),
                f(&res["per_socket_bytes"]),
                res["rss0_kib"]
            ),
            "storm" => println!(
                "| storm | {target} | {} sockets, {} boards | per socket {} | all caught up {:.2} s; log reads {} ({:.1}/board); failed {} | | {load} |",
                p["sockets"],
                p["boards"],
                dist(&res["per_socket"]),
                f(&res["all_caught_up_seconds"]),
                res["statements"]["log_reads"],
                f(&res["log_reads_per_board"]),
                res["failed"]
            ),
            "snapshot" => println!(
                "| snapshot | {target} | {} cards, {} | identity {} ; browser {} | {} B / {} B | | {load} |",
                p["cards"],
                // Runs before card faces measured the bare board only.
                p["faces"].as_str().unwrap_or("bare"),
                dist(&res["identity"]["latency"]),
                dist(&res["browser"]["latency"]),
                res["identity"]["body_bytes"],
                res["browser"]["body_bytes"]
            ),
            "login-flood" => login_flood(r, &load),
            "join-storm" => join_storm(r, &records, &load),
            "outage" => println!(
                "| outage | {target} | {} moves/s, Postgres down {} s | | {}; sent {}, acked {}, refused {} ({}), unanswered {}, applied twice {}, applied after a refusal {}: {} | | {load} |",
                p["rate"],
                p["outage_seconds"],
                if res["connected_throughout"] == true {
                    "connected throughout".to_owned()
                } else {
                    format!("**closed**: {}", res["closed"].as_str().unwrap_or("?"))
                },
                res["sent"],
                res["acked"],
                res["refused"],
                statuses(&res["error_codes"]),
                res["unanswered"],
                res["applied_twice"],
                res["applied_after_refusal"],
                if res["passed"] == true { "passed" } else { "**failed**" }
            ),
            other => println!("| {other} | {target} | | | | | {load} |"),
        }
    }
    Ok(())
}

fn login_flood(r: &Value, load: &str) {
    let (p, res) = (&r["params"], &r["results"]);
    println!(
        "| login flood | {} | {} clients, {} sign-ups then {} sign-ins | sign-up {} ; sign-in {} | RSS idle {:.0} MiB, peak {:.0} MiB (≤ {} MiB: {}), after {} s {:.0} MiB (+{:.0} over idle, ≤ {}: {}); sign-up {}; sign-in {} | | {load} |",
        r["target"].as_str().unwrap_or(""),
        p["clients"],
        p["signups"],
        p["signins"],
        dist(&res["signup"]["latency"]),
        dist(&res["signin"]["latency"]),
        mib(&res["rss_idle_kib"]),
        mib(&res["rss_peak_kib"]),
        p["peak_target_mib"],
        verdict(&res["peak_met"]),
        p["after_seconds"],
        mib(&res["rss_after_kib"]),
        mib(&res["rss_after_over_idle_kib"]),
        p["after_target_mib"],
        verdict(&res["after_met"]),
        statuses(&res["signup"]["statuses"]),
        statuses(&res["signin"]["statuses"]),
    );
}

fn join_storm(r: &Value, records: &[Value], load: &str) {
    let (p, res) = (&r["params"], &r["results"]);
    let target = r["target"].as_str().unwrap_or("");
    // Against the latest baseline of the same storm: the target is p99 ≤ 1.5× the baseline's.
    let ratio = (target == "corkboard")
        .then(|| {
            records.iter().rfind(|b| {
                b["scenario"] == "join-storm" && b["target"] == "baseline" && b["params"]["sockets"] == p["sockets"]
            })
        })
        .flatten()
        .map(|b| {
            let (e, be) = (&res["event"], &b["results"]["event"]);
            let p99 = f(&e["p99_ms"]) / f(&be["p99_ms"]);
            format!(
                "{:.2}×, {p99:.2}× (p99 ≤ 1.5×: {})",
                f(&e["p50_ms"]) / f(&be["p50_ms"]),
                verdict(&(p99 <= 1.5).into())
            )
        })
        .unwrap_or_default();
    println!(
        "| join storm | {target} | {} sockets of {} users joining over {} s, {} moves/s | {} | ack {} ; joined {}, failed {}, closed {}, missing {}; presence frames/socket max {} mean {:.1}, bytes max {} mean {:.0}; RSS +{:.0} MiB over idle (≤ {}: {}) | {ratio} | {load} |",
        p["sockets"],
        p["users"],
        p["join_seconds"],
        p["rate"],
        dist(&res["event"]),
        dist(&res["ack"]),
        res["joined"],
        res["failed_joins"],
        res["closed_early"],
        res["missing_events"],
        res["presence"]["frames_max"],
        f(&res["presence"]["frames_mean"]),
        res["presence"]["bytes_max"],
        f(&res["presence"]["bytes_mean"]),
        mib(&res["rss_over_idle_kib"]),
        p["rss_target_mib"],
        if target == "baseline" { "not judged" } else { verdict(&res["rss_met"]) },
    );
}
