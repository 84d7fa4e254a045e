//! Throughput of the outbox: 1,000 alerts recorded, queued and delivered to a webhook receiver
//! on loopback (HTTP/1.1, keep-alive), every one signed. Run with
//! `cargo bench -p contrakt-alert --bench deliver`; prints the timings and checks that each
//! alert arrived exactly once.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use contrakt_alert::config::Secrets;
use contrakt_alert::{Registry, Store, outbox};
use contrakt_core::SourceFile;

fn main() {
    let runs: usize = std::env::var("CONTRAKT_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let (contracts, consumers) = support::registry();
    let registry = Registry { contracts: &contracts, consumers: &consumers };
    // 500 failing checks on orders.status: each is told to the owners and to the consumers.
    let ids: Vec<String> = (0..500).map(|i| format!("bench_rule_{i:03}")).collect();
    let results: Vec<(&str, Option<&str>, &str)> = ids.iter().map(|id| (id.as_str(), Some("status"), "fail")).collect();
    let report = support::report(&results);
    for run in 1..=runs {
        let dir = tempfile::tempdir().unwrap();
        let receiver = support::Receiver::start();
        let text =
            "version: 1\nalerts:\n  channels:\n    - {name: hook, kind: webhook, url-env: HOOK, secret-env: KEY}\n";
        let source = SourceFile::new("contrakt.yaml", text);
        let config = contrakt_core::config::load(source.clone()).unwrap();
        let mut settings = contrakt_alert::resolve(&config.alerts, dir.path(), Some(&source)).unwrap();
        settings.secrets = Secrets::Fixed(
            [("HOOK".to_string(), receiver.url("/alerts")), ("KEY".to_string(), "bench".to_string())].into(),
        );
        let mut store = Store::open(&settings.state).unwrap();

        let started = Instant::now();
        let (recorded, _) = contrakt_alert::record(&report, &registry, &settings, &mut store, 0).unwrap();
        let queued_in = started.elapsed();
        let sent = Instant::now();
        let delivered = outbox::deliver(&mut store, &settings, Duration::from_secs(120)).unwrap();
        let sent_in = sent.elapsed();

        let got = receiver.received();
        let keys: BTreeSet<_> = got.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
        assert_eq!(recorded.queued, 1000);
        assert_eq!((delivered.delivered, got.len(), keys.len()), (1000, 1000, 1000), "exactly once");
        println!(
            "run {run}: 1000 alerts queued in {:.0} ms, delivered in {:.0} ms ({:.0} alerts/s), total {:.0} ms",
            queued_in.as_secs_f64() * 1e3,
            sent_in.as_secs_f64() * 1e3,
            1000.0 / sent_in.as_secs_f64(),
            started.elapsed().as_secs_f64() * 1e3,
        );
        receiver.stop();
    }
}
