//! `contrakt alerts route --explain`: who would be told of what, and through which channels.

use std::fmt::Write;

use crate::alert::{AudienceName, Recipient, RecipientKind};
use crate::pipeline::CheckPlan;
use contrakt_core::expect::Status;

/// Unix ms as RFC 3339 (UTC, seconds).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Reads `--now` as milliseconds since the epoch ([`contrakt_core::time::parse_time`]).
pub fn parse_time(s: &str) -> Option<i64> {
    contrakt_core::time::parse_time(s).map(|t| t.timestamp_millis())
}

pub fn text(plans: &[CheckPlan]) -> String {
    let mut out = String::new();
    let mut contract = None;
    let (mut alerts, mut deliveries) = (0, 0);
    for p in plans {
        if contract != Some(&p.contract) {
            let version = p.alerts.first().map(|a| a.alert.contract.version.as_str()).unwrap_or("?");
            let _ = writeln!(out, "{} (v{version})", p.contract);
            contract = Some(&p.contract);
        }
        let c = &p.check;
        let badge = match (p.event, c.status) {
            (crate::alert::Event::Resolve, _) => "RESOLVED",
            (_, Status::Fail) => "FAIL",
            (_, Status::Warn) => "warn",
            (_, Status::Error) => "ERROR",
            _ => "?",
        };
        let decision = p.decision.map(|d| format!(" ({d})")).unwrap_or_default();
        let _ = writeln!(out, "  {badge:<5} {} {:<16} {:<28} {}{decision}", c.code, c.kind, c.path(), c.id);
        for a in &p.alerts {
            alerts += 1;
            let who = match a.alert.audience {
                AudienceName::Owners => "owners",
                AudienceName::Consumers => "consumers",
            };
            let names: Vec<String> = a.alert.recipients.iter().map(recipient).collect();
            let names = if names.is_empty() { "(the contract names none)".to_string() } else { names.join(", ") };
            let _ = writeln!(out, "      {who}: {names}");
            if a.deliveries.is_empty() {
                let _ = writeln!(out, "        → no route sends this");
            }
            for d in &a.deliveries {
                deliveries += 1;
                let held =
                    d.held_until.map(|h| format!(", held until {} (quiet hours)", rfc3339(h))).unwrap_or_default();
                let _ = writeln!(out, "        → {} (route {}){held}", d.channel, d.route);
            }
        }
        for s in &p.skipped {
            let _ = writeln!(out, "      not told: {}: {}", s.consumer, s.why);
        }
    }
    let _ = writeln!(
        out,
        "{} {} failed or warned: {alerts} {}, {deliveries} {}",
        plans.len(),
        if plans.len() == 1 { "check" } else { "checks" },
        if alerts == 1 { "alert" } else { "alerts" },
        if deliveries == 1 { "delivery" } else { "deliveries" },
    );
    out
}

fn recipient(r: &Recipient) -> String {
    match r.kind {
        RecipientKind::Member => format!("{} ({})", r.id, r.role.as_deref().unwrap_or("member")),
        RecipientKind::Support => {
            format!("{} ({})", r.name.as_deref().unwrap_or(&r.id), r.role.as_deref().unwrap_or("support"))
        }
        RecipientKind::Consumer => {
            let crit = r.criticality.map(|c| format!("{c:?}").to_lowercase()).unwrap_or_default();
            format!("{} ({crit}; {})", r.id, r.because.join(", "))
        }
    }
}
