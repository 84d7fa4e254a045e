//! The detector evaluation: recall per anomaly kind and size, and false-positive rate, for
//! contrakt's three models (median/MAD, seasonal, trend) against a plain z-score and a fixed
//! range, on the same seeded synthetic series (`contrakt_history::synthetic`).
//!
//! `cargo bench -p contrakt-history --bench detectors` (accuracy, not time: any profile gives
//! the same table; `-- --seeds N` for more or fewer series per case, default 40).

use contrakt_history::synthetic::{Kind, Scenario, run};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds: u64 = args.iter().position(|a| a == "--seeds").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(40);
    let cases: Vec<(Option<(Kind, f64)>, &str)> = vec![
        (Some((Kind::Spike, 3.0)), "recall"),
        (Some((Kind::Spike, 4.0)), "recall"),
        (Some((Kind::Spike, 6.0)), "recall"),
        (Some((Kind::Drop, 3.0)), "recall"),
        (Some((Kind::Drop, 4.0)), "recall"),
        (Some((Kind::Drop, 6.0)), "recall"),
        (Some((Kind::LevelShift, 4.0)), "recall"),
        (Some((Kind::LevelShift, 8.0)), "recall"),
        (Some((Kind::LateArrival, 4.0)), "recall"),
        (Some((Kind::LateArrival, 8.0)), "recall"),
        (Some((Kind::SlowDrift, 6.0)), "recall"),
        (Some((Kind::SlowDrift, 12.0)), "recall"),
        (None, "false positives"),
    ];
    for (label, scenario) in [
        ("daily runs, weekly season", Scenario::daily as fn(_) -> Scenario),
        ("hourly runs, daily season", Scenario::hourly),
    ] {
        let example = scenario(None);
        println!(
            "\n## {label}: {} runs per series, {seeds} series per row, trend {:+.1}%/day, noise {:.0}%, one annotated holiday\n",
            example.points,
            example.trend_per_day * 100.0,
            example.noise * 100.0
        );
        let mut header = false;
        for (anomaly, what) in &cases {
            let scores = run(&scenario(*anomaly), 0..seeds);
            if !header {
                let names: Vec<String> = scores.iter().map(|(n, _)| format!("{n:>11}")).collect();
                println!("| {:<22} | {:<15} | {:>6} | {} |", "series", "measure", "n", names.join(" | "));
                println!(
                    "|{}|{}|{}|{}",
                    "-".repeat(24),
                    "-".repeat(17),
                    "-".repeat(8),
                    "------------:|".repeat(scores.len())
                );
                header = true;
            }
            let name = match anomaly {
                Some((k, size)) => format!("{} {size}σ", k.name()),
                None => "clean".into(),
            };
            // Recall of the injected anomalies, then the false-positive rate on the clean points of
            // the same series.
            let n = scores[0].1.anomalies;
            if anomaly.is_some() {
                let cells: Vec<String> = scores.iter().map(|(_, s)| format!("{:>10.1}%", 100.0 * s.recall())).collect();
                println!("| {name:<22} | {what:<15} | {n:>6} | {} |", cells.join(" | "));
            }
            let clean = scores[0].1.clean;
            let cells: Vec<String> =
                scores.iter().map(|(_, s)| format!("{:>10.2}%", 100.0 * s.false_positive_rate())).collect();
            let label = if anomaly.is_some() { "  (same series)".to_string() } else { name.clone() };
            println!("| {label:<22} | {:<15} | {clean:>6} | {} |", "false positives", cells.join(" | "));
        }
    }
}
