//! Which channels an alert goes to: every configured route whose audience, minimum severity,
//! match and consumer criticality fit, each channel once. Quiet hours hold a delivery in the
//! outbox until the window ends instead of dropping it.

use contrakt_core::Level;
use serde::Serialize;

use crate::alert::{Alert, Audience};
use crate::config::{Settings, check_matches, criticality_reaches};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDelivery {
    pub channel: String,
    pub route: String,
    /// Unix ms at which quiet hours end, when they hold this delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<i64>,
}

/// The deliveries for one alert. With no routes configured, every channel gets every alert.
/// `severity` is what routes judge: the alert's, or for a resolution the incident's.
pub fn plan(alert: &Alert, severity: Level, settings: &Settings, now_ms: i64) -> Vec<PlannedDelivery> {
    let mut out: Vec<PlannedDelivery> = Vec::new();
    if settings.routes.is_empty() {
        for c in &settings.channels {
            out.push(PlannedDelivery { channel: c.name.clone(), route: "(all channels)".into(), held_until: None });
        }
        return out;
    }
    let audience: Audience = alert.audience.into();
    for route in &settings.routes {
        let m = &route.matches;
        let fits = route.audience.is_none_or(|a| a == audience)
            && severity >= route.min_severity
            && (m.contracts.is_empty() || m.contracts.contains(&alert.contract.id))
            && (m.objects.is_empty() || m.objects.contains(&alert.check.object))
            && (m.checks.is_empty()
                || m.checks.iter().any(|s| check_matches(s, &alert.check.code, &alert.check.kind, &alert.check.id)))
            && (audience == Audience::Owners
                || criticality_reaches(m.min_criticality, alert.recipients.iter().filter_map(|r| r.criticality)));
        if !fits {
            continue;
        }
        let held_until = route.quiet.and_then(|q| q.holds_until(now_ms));
        for c in &route.channels {
            if !out.iter().any(|d| d.channel == *c) {
                out.push(PlannedDelivery { channel: c.clone(), route: route.name.clone(), held_until });
            }
        }
    }
    out
}
