//! `corkboard-bench report FILE`: the results of a run as markdown (the table in docs/BENCHMARKS.md).

use std::path::Path;

use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
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
                    "| fan-out receipt | {target} | {w} watchers, {rate} moves/s, {} movers | {} | ack {} ; missing {} of {} | {ratio} | {load} |",
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
                "| idle RSS | {target} | {} sockets | | {:.0} B/socket (RSS_0 {} KiB) | | {load} |",
                res["sockets"],
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
                "| snapshot | {target} | {} cards | identity {} ; browser {} | {} B / {} B | | {load} |",
                p["cards"],
                dist(&res["identity"]["latency"]),
                dist(&res["browser"]["latency"]),
                res["identity"]["body_bytes"],
                res["browser"]["body_bytes"]
            ),
            other => println!("| {other} | {target} | | | | | {load} |"),
        }
    }
    Ok(())
}
