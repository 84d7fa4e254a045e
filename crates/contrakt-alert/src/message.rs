//! What people read. Owners are told what broke, the evidence and the runbook; consumers are
//! told which of the data they rely on is affected and that the owners are on it.

use std::fmt::Write;

use serde_json::{Value as Json, json};

use crate::alert::{Alert, AudienceName, Event, Recipient, RecipientKind};
use crate::report::StatusName;

/// How many sample rows a message shows (the webhook body carries them all).
const SHOWN_SAMPLES: usize = 5;

pub fn title(alert: &Alert, contract_name: Option<&str>) -> String {
    let what = path(alert);
    let contract = contract_name.unwrap_or(&alert.contract.id);
    let check = format!("{} {}", alert.check.code, alert.check.kind);
    let refused = alert.publish.as_ref().is_some_and(|p| p.outcome == "refused");
    match (alert.event, alert.audience) {
        (Event::Trigger, AudienceName::Owners) if refused => {
            format!("REFUSED: staged {what} fails {check}; not published ({contract} v{})", alert.contract.version)
        }
        (Event::Trigger, AudienceName::Consumers) if refused => format!(
            "LATE: a new release of {} failed its audit ({contract} v{}); you keep the previous data",
            alert.check.object, alert.contract.version
        ),
        (Event::Resolve, _) => {
            format!("Resolved: {what} passes {check} again ({contract} v{})", alert.contract.version)
        }
        (Event::Trigger, AudienceName::Owners) if alert.status == StatusName::Error => {
            format!("ERROR: {check} on {what} could not run ({contract} v{})", alert.contract.version)
        }
        (Event::Trigger, AudienceName::Owners) => {
            format!("{}: {what} breaks {check} ({contract} v{})", badge(alert), alert.contract.version)
        }
        (Event::Trigger, AudienceName::Consumers) => format!(
            "{}: data you rely on, {what}, fails {check} ({contract} v{})",
            badge(alert),
            alert.contract.version
        ),
    }
}

fn badge(alert: &Alert) -> &'static str {
    match alert.status {
        StatusName::Fail => "FAIL",
        StatusName::Warn => "WARN",
        StatusName::Error => "ERROR",
        _ => "NOTE",
    }
}

fn path(alert: &Alert) -> String {
    match &alert.check.property {
        Some(p) => format!("{}.{p}", alert.check.object),
        None => alert.check.object.clone(),
    }
}

/// The plain-text message: the body of stdout lines, Slack fallbacks and the webhook's `text`.
pub fn text(alert: &Alert, owners: &[Recipient], consumers: &[Recipient]) -> String {
    let mut out = String::new();
    let c = &alert.check;
    let rule = match &c.name {
        Some(n) => format!("{} \"{n}\"", c.id),
        None => c.id.clone(),
    };
    if alert.event == Event::Resolve {
        let _ = writeln!(out, "{} passes again at {}: {}.", path(alert), alert.checked_at, c.message);
        let _ = writeln!(out, "Check: {} {} ({rule}). The incident is resolved.", c.code, c.kind);
        return out;
    }
    let could_not_run = alert.status == StatusName::Error;
    let refused = alert.publish.as_ref().filter(|p| p.outcome == "refused");
    match alert.audience {
        _ if refused.is_some() => {
            if let Some(p) = refused {
                let _ = match alert.audience {
                    AudienceName::Owners => writeln!(
                        out,
                        "The staged release of {} ({}) failed its audit against contract {} v{} and was not published; {} still serves {}.",
                        c.object,
                        p.staged,
                        alert.contract.id,
                        alert.contract.version,
                        p.target,
                        p.serving.as_deref().unwrap_or("nothing")
                    ),
                    AudienceName::Consumers => writeln!(
                        out,
                        "A new release of {} (contract {} v{}) failed its audit and was not published: you keep reading the previous release ({}) until a fixed one passes, so the data is late.",
                        c.object,
                        alert.contract.id,
                        alert.contract.version,
                        p.serving.as_deref().unwrap_or("none yet")
                    ),
                };
            }
        }
        AudienceName::Owners if could_not_run => {
            let _ = writeln!(
                out,
                "A check of contract {} v{} could not run at {}: until it does, this promise is unverified.",
                alert.contract.id, alert.contract.version, alert.checked_at
            );
        }
        AudienceName::Owners => {
            let _ = writeln!(
                out,
                "Your dataset broke a promise of contract {} v{} in the run at {}.",
                alert.contract.id, alert.contract.version, alert.checked_at
            );
        }
        AudienceName::Consumers => {
            let _ = writeln!(
                out,
                "Data you rely on is failing a check of contract {} v{} (run at {}).",
                alert.contract.id, alert.contract.version, alert.checked_at
            );
        }
    }
    let what = if could_not_run { "What went wrong" } else { "What failed" };
    let _ = writeln!(out, "{what}: {} {} on {}: {}", c.code, c.kind, path(alert), c.message);
    let _ = writeln!(out, "Rule: {rule}{}", c.location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default());
    if let (Some(value), Some(threshold)) = (c.value, &c.threshold) {
        let unit = c.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        let _ = writeln!(out, "Measured: {value}{unit}; the contract says {threshold}");
    }
    match alert.audience {
        AudienceName::Owners => {
            if !alert.samples.is_empty() {
                let _ = writeln!(out, "Evidence ({} of the failing rows):", alert.samples.len().min(SHOWN_SAMPLES));
                for s in alert.samples.iter().take(SHOWN_SAMPLES) {
                    let _ = writeln!(out, "  {}", Json::Object(s.clone()));
                }
            }
            if could_not_run {
                let _ =
                    writeln!(out, "Consumers told: none (they hear of failures, not of checks that could not run).");
            } else if consumers.is_empty() {
                let _ = writeln!(out, "Consumers told: none registered reads this.");
            } else {
                let names: Vec<String> = consumers.iter().map(consumer_line).collect();
                let _ = writeln!(out, "Consumers told: {}", names.join("; "));
            }
            let _ = writeln!(out, "Reproduce: {}", alert.runbook.reproduce);
            if let Some(sql) = &alert.runbook.sql {
                let _ = writeln!(out, "The rule's query:\n  {}", sql.replace('\n', "\n  "));
            }
            let _ = writeln!(out, "Next steps:");
            for (i, s) in alert.runbook.steps.iter().enumerate() {
                let _ = writeln!(out, "  {}. {s}", i + 1);
            }
        }
        AudienceName::Consumers => {
            for r in consumers {
                let _ = writeln!(out, "Why you: {}", consumer_line(r));
            }
            let _ = writeln!(out, "Owners: {}", owner_line(owners));
            let _ = writeln!(
                out,
                "Until this resolves, treat {} from this run with care; you will be told when it passes again.",
                path(alert)
            );
        }
    }
    for l in &alert.runbook.links {
        let _ = writeln!(out, "{}: {}", capitalise(&l.label), l.url);
    }
    out
}

fn consumer_line(r: &Recipient) -> String {
    let crit = r.criticality.map(|c| format!(", {} criticality", format!("{c:?}").to_lowercase())).unwrap_or_default();
    format!("{} ({}{crit})", r.id, r.because.join(", "))
}

fn owner_line(owners: &[Recipient]) -> String {
    let people: Vec<String> = owners
        .iter()
        .filter(|r| r.kind == RecipientKind::Member)
        .map(|r| format!("{}, {}", r.name.as_deref().unwrap_or(&r.id), r.role.as_deref().unwrap_or("owner")))
        .collect();
    let channels: Vec<String> =
        owners.iter().filter(|r| r.kind == RecipientKind::Support).filter_map(|r| r.name.clone()).collect();
    let team = owners.iter().find_map(|r| r.team.clone());
    let mut s = team.unwrap_or_else(|| "the owning team".into());
    if !people.is_empty() {
        let _ = write!(s, " ({})", people.join("; "));
    }
    s.push_str(" are told with the evidence and own the fix");
    if !channels.is_empty() {
        let _ = write!(s, "; reach them at {}", channels.join(" or "));
    }
    s.push('.');
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A Slack incoming-webhook message in Block Kit: a header, the failed check, samples as a code
/// block, and buttons to the runbook and the contract. `text` is the notification fallback.
pub fn slack(alert: &Alert) -> Json {
    let c = &alert.check;
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&alert.title, 150), "emoji": true}}),
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*Check*\n`{}` {}", c.code, c.kind)},
            {"type": "mrkdwn", "text": format!("*Where*\n`{}`", path(alert))},
            {"type": "mrkdwn", "text": format!("*Contract*\n{} v{}", alert.contract.id, alert.contract.version)},
            {"type": "mrkdwn", "text": format!("*Severity*\n{}", format!("{:?}", alert.severity).to_lowercase())},
        ]}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&slack_escape(&alert.text), 2900)}}),
    ];
    if alert.event == Event::Trigger && !alert.samples.is_empty() {
        let rows: Vec<String> =
            alert.samples.iter().take(SHOWN_SAMPLES).map(|s| Json::Object(s.clone()).to_string()).collect();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": truncate(&format!("*Samples*\n```{}```", rows.join("\n")), 2900)}}));
    }
    let buttons: Vec<Json> = alert
        .runbook
        .links
        .iter()
        .filter(|l| l.url.starts_with("https://") || l.url.starts_with("http://"))
        .take(5)
        .map(|l| json!({"type": "button", "text": {"type": "plain_text", "text": capitalise(&l.label)}, "url": l.url}))
        .collect();
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    blocks.push(json!({"type": "context", "elements": [
        {"type": "mrkdwn", "text": format!("fingerprint `{}` · {} · contrakt", alert.fingerprint, alert.audience_str())}
    ]}));
    json!({"text": alert.title, "blocks": blocks})
}

/// A Microsoft Teams message: an Adaptive Card (1.4, full width) with the title, the facts, the
/// message, samples in monospace and buttons to the runbook and the contract.
pub fn teams(alert: &Alert) -> Json {
    let c = &alert.check;
    let mut facts = vec![
        json!({"title": "Check", "value": format!("{} {}", c.code, c.kind)}),
        json!({"title": "Where", "value": path(alert)}),
        json!({"title": "Contract", "value": format!("{} v{}", alert.contract.id, alert.contract.version)}),
        json!({"title": "Severity", "value": format!("{:?}", alert.severity).to_lowercase()}),
    ];
    if let (Some(value), Some(threshold)) = (c.value, &c.threshold) {
        let unit = c.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        facts.push(json!({"title": "Measured", "value": format!("{value}{unit}; the contract says {threshold}")}));
    }
    let mut body = vec![
        json!({"type": "TextBlock", "text": alert.title, "size": "Large", "weight": "Bolder", "wrap": true,
            "style": "heading"}),
        json!({"type": "FactSet", "facts": facts}),
        json!({"type": "TextBlock", "text": alert.text.trim_end(), "wrap": true}),
    ];
    if alert.event == Event::Trigger && !alert.samples.is_empty() {
        let rows: Vec<String> =
            alert.samples.iter().take(SHOWN_SAMPLES).map(|s| Json::Object(s.clone()).to_string()).collect();
        body.push(json!({"type": "TextBlock", "text": "Samples", "weight": "Bolder"}));
        body.push(json!({"type": "TextBlock", "text": rows.join("\n"), "fontType": "Monospace", "wrap": true}));
    }
    body.push(json!({"type": "TextBlock", "isSubtle": true, "size": "Small", "wrap": true,
        "text": format!("fingerprint {} · {} · contrakt", alert.fingerprint, alert.audience_str())}));
    let actions: Vec<Json> = alert
        .runbook
        .links
        .iter()
        .filter(|l| l.url.starts_with("https://") || l.url.starts_with("http://"))
        .map(|l| json!({"type": "Action.OpenUrl", "title": capitalise(&l.label), "url": l.url}))
        .collect();
    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
        "msteams": {"width": "Full"},
    });
    json!({"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}
    ]})
}

impl Alert {
    pub fn audience_str(&self) -> &'static str {
        match self.audience {
            AudienceName::Owners => "owners",
            AudienceName::Consumers => "consumers",
        }
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// The HTML part of an email: the same message as [`text`], with the facts as a table, the
/// samples as preformatted rows and the links as links. Everything from the alert is escaped.
pub fn html(alert: &Alert) -> String {
    let c = &alert.check;
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family: sans-serif\">\n",
    );
    let _ = writeln!(out, "<h2>{}</h2>", escape_html(&alert.title));
    out.push_str("<table>\n");
    let mut facts = vec![
        ("Check", format!("{} {}", c.code, c.kind)),
        ("Where", path(alert)),
        ("Contract", format!("{} v{}", alert.contract.id, alert.contract.version)),
        ("Severity", format!("{:?}", alert.severity).to_lowercase()),
    ];
    if let (Some(value), Some(threshold)) = (c.value, &c.threshold) {
        let unit = c.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        facts.push(("Measured", format!("{value}{unit}; the contract says {threshold}")));
    }
    for (k, v) in facts {
        let _ = writeln!(out, "<tr><th align=\"left\">{k}</th><td>{}</td></tr>", escape_html(&v));
    }
    out.push_str("</table>\n");
    let _ = writeln!(out, "<p>{}</p>", escape_html(alert.text.trim_end()).replace('\n', "<br>\n"));
    if alert.event == Event::Trigger && !alert.samples.is_empty() {
        let rows: Vec<String> = alert
            .samples
            .iter()
            .take(SHOWN_SAMPLES)
            .map(|s| escape_html(&Json::Object(s.clone()).to_string()))
            .collect();
        let _ = writeln!(out, "<h3>Samples</h3>\n<pre>{}</pre>", rows.join("\n"));
    }
    let links: Vec<String> = alert
        .runbook
        .links
        .iter()
        .filter(|l| l.url.starts_with("https://") || l.url.starts_with("http://"))
        .map(|l| format!("<a href=\"{}\">{}</a>", escape_html(&l.url), escape_html(&capitalise(&l.label))))
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", links.join(" · "));
    }
    let _ = writeln!(
        out,
        "<p style=\"color: #666; font-size: small\">fingerprint {} · {} · contrakt</p>\n</body></html>",
        escape_html(&alert.fingerprint),
        alert.audience_str()
    );
    out
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
