//! What people read. Owners are told what broke, the evidence and the runbook; consumers are
//! told which of the data they rely on is affected and that the owners are on it.

use std::fmt::Write;

use serde_json::{Map, Value as Json, json};

use crate::alert::{Alert, AudienceName, Event, Recipient, RecipientKind};
use crate::limit::{self, cut_string, cut_value};
use contrakt_core::expect::Status;

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
        (Event::Trigger, AudienceName::Owners) if alert.status == Status::Error => {
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
        Status::Fail => "FAIL",
        Status::Warn => "WARN",
        Status::Error => "ERROR",
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
    let could_not_run = alert.status == Status::Error;
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
    // Owners and the consumers told both get the file with every failing row.
    if alert.event == Event::Trigger
        && let Some(q) = &alert.quarantine
    {
        let _ = writeln!(out, "Failing rows: all of them are in {q} (those with `{}` in failing_checks)", c.id);
    }
    match alert.audience {
        AudienceName::Owners => {
            if !alert.samples.is_empty() {
                let _ = writeln!(out, "Evidence ({} of the failing rows):", alert.samples.len().min(SHOWN_SAMPLES));
                for s in alert.samples.iter().take(SHOWN_SAMPLES) {
                    let _ = writeln!(out, "  {}", shown_sample(s));
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
    for l in alert.runbook.links.iter().filter(|l| web_link(&l.url)) {
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
///
/// Everything from the contract or the data is mrkdwn-escaped (`&`, `<`, `>`: no `<!channel>`,
/// no `<url|disguised link>`), and code spans and blocks hold no backtick that could close them.
/// Each text stays within Slack's limits (header 150, field 2,000, section 3,000 characters),
/// and the body within [`limit::SLACK`].
pub fn slack(alert: &Alert) -> Json {
    limit::fit(alert, limit::SLACK, slack_payload, limit::json_size)
}

fn slack_payload(alert: &Alert, cuts: &[String]) -> Json {
    let c = &alert.check;
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&alert.title, 150), "emoji": true}}),
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*Check*\n`{}` {}", slack_code(&c.code, 100), slack_text(&c.kind, 400))},
            {"type": "mrkdwn", "text": format!("*Where*\n`{}`", slack_code(&path(alert), 1900))},
            {"type": "mrkdwn", "text": format!("*Contract*\n{} v{}",
                slack_text(&alert.contract.id, 1500), slack_text(&alert.contract.version, 300))},
            {"type": "mrkdwn", "text": format!("*Severity*\n{}", format!("{:?}", alert.severity).to_lowercase())},
        ]}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": slack_text(&alert.text, 2900)}}),
    ];
    if alert.event == Event::Trigger && !alert.samples.is_empty() {
        let rows: Vec<String> = alert.samples.iter().take(SHOWN_SAMPLES).map(shown_sample).collect();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Samples*\n```{}```", slack_code(&rows.join("\n"), 2880))}}));
    }
    let buttons: Vec<Json> = alert
        .runbook
        .links
        .iter()
        .filter(|l| web_link(&l.url))
        .take(5)
        .map(|l| {
            json!({"type": "button", "text": {"type": "plain_text", "text": truncate(&capitalise(&l.label), 75)},
                "url": l.url})
        })
        .collect();
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    if let Some(note) = limit::note(cuts) {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_text(&note, 2900)}]}));
    }
    blocks.push(json!({"type": "context", "elements": [
        {"type": "mrkdwn", "text": format!("fingerprint `{}` · {} · contrakt", slack_code(&alert.fingerprint, 200), alert.audience_str())}
    ]}));
    json!({"text": slack_text(&alert.title, 3000), "blocks": blocks})
}

/// A Microsoft Teams message: an Adaptive Card (1.4, full width) with the title, the facts, the
/// message, samples in monospace and buttons to the runbook and the contract.
///
/// Card text is markdown: everything from the contract or the data has its markdown syntax
/// escaped, so a value `[Reset your password](https://…)` shows as written, not as a link. The
/// body stays within [`limit::TEAMS`].
pub fn teams(alert: &Alert) -> Json {
    limit::fit(alert, limit::TEAMS, teams_payload, limit::json_size)
}

fn teams_payload(alert: &Alert, cuts: &[String]) -> Json {
    let c = &alert.check;
    let mut facts = vec![
        json!({"title": "Check", "value": teams_text(&format!("{} {}", c.code, c.kind))}),
        json!({"title": "Where", "value": teams_text(&path(alert))}),
        json!({"title": "Contract", "value": teams_text(&format!("{} v{}", alert.contract.id, alert.contract.version))}),
        json!({"title": "Severity", "value": format!("{:?}", alert.severity).to_lowercase()}),
    ];
    if let (Some(value), Some(threshold)) = (c.value, &c.threshold) {
        let unit = c.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        facts.push(
            json!({"title": "Measured", "value": teams_text(&format!("{value}{unit}; the contract says {threshold}"))}),
        );
    }
    let mut body = vec![
        json!({"type": "TextBlock", "text": teams_text(&alert.title), "size": "Large", "weight": "Bolder", "wrap": true,
            "style": "heading"}),
        json!({"type": "FactSet", "facts": facts}),
        json!({"type": "TextBlock", "text": teams_text(alert.text.trim_end()), "wrap": true}),
    ];
    if alert.event == Event::Trigger && !alert.samples.is_empty() {
        let rows: Vec<String> = alert.samples.iter().take(SHOWN_SAMPLES).map(shown_sample).collect();
        body.push(json!({"type": "TextBlock", "text": "Samples", "weight": "Bolder"}));
        body.push(
            json!({"type": "TextBlock", "text": teams_text(&rows.join("\n")), "fontType": "Monospace", "wrap": true}),
        );
    }
    if let Some(note) = limit::note(cuts) {
        body.push(json!({"type": "TextBlock", "isSubtle": true, "wrap": true, "text": teams_text(&note)}));
    }
    body.push(json!({"type": "TextBlock", "isSubtle": true, "size": "Small", "wrap": true,
        "text": teams_text(&format!("fingerprint {} · {} · contrakt", alert.fingerprint, alert.audience_str()))}));
    let actions: Vec<Json> = alert
        .runbook
        .links
        .iter()
        .filter(|l| web_link(&l.url))
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

/// Slack mrkdwn text: `&`, `<` and `>` escaped (they make mentions such as `<!channel>` and
/// links such as `<url|label>`), cut to `max` characters but never inside an escape.
fn slack_text(s: &str, max: usize) -> String {
    escape_within(s, max, |c, out| match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    })
}

/// Text inside a Slack code span or block: escaped as [`slack_text`], and with each backtick
/// written as `ˋ` (U+02CB), so no value can close the block and carry on as markup.
fn slack_code(s: &str, max: usize) -> String {
    escape_within(s, max, |c, out| match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '`' => out.push('\u{2cb}'),
        c => out.push(c),
    })
}

/// Adaptive Card (Teams) markdown: the characters of links, emphasis, code and HTML
/// backslash-escaped. A renderer that ignores the escapes still shows no link: `\](` is not `](`.
pub(crate) fn teams_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '~' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` escaped character by character, at most `max` characters; when cut, it ends in
/// `…[N more characters]` (never inside an escape).
fn escape_within(s: &str, max: usize, escape: impl Fn(char, &mut String)) -> String {
    let mut whole = String::with_capacity(s.len());
    for c in s.chars() {
        escape(c, &mut whole);
    }
    if whole.chars().count() <= max {
        return whole;
    }
    let total = s.chars().count();
    let room = max.saturating_sub(32);
    let (mut out, mut len, mut piece) = (String::new(), 0, String::new());
    for (taken, c) in s.chars().enumerate() {
        piece.clear();
        escape(c, &mut piece);
        let n = piece.chars().count();
        if len + n > room {
            let _ = write!(out, "…[{} more characters]", total - taken);
            return out;
        }
        out.push_str(&piece);
        len += n;
    }
    out
}

/// A link people may be sent to: `http` or `https`, nothing else (no `javascript:`, `data:`,
/// `file:`), and no space or control character that a client might read differently.
pub fn web_link(url: &str) -> bool {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    matches!(scheme.as_deref(), Some("http" | "https"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url.len() <= 2000
}

/// The longest a sample value is shown (the webhook carries it whole, within its bound).
pub const SHOWN_VALUE_CHARS: usize = 200;

/// One failing row as shown to people: its JSON, each string value cut to
/// [`SHOWN_VALUE_CHARS`] with a marker saying how much is left out.
pub fn shown_sample(row: &Map<String, Json>) -> String {
    Json::Object(row.iter().map(|(k, v)| (cut_key(k), cut_value(v, SHOWN_VALUE_CHARS))).collect()).to_string()
}

fn cut_key(k: &str) -> String {
    if k.chars().count() > SHOWN_VALUE_CHARS { cut_string(k, SHOWN_VALUE_CHARS) } else { k.to_string() }
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
    html_with(alert, &[])
}

/// [`html`], saying what was cut to fit (`limit::note`).
pub(crate) fn html_with(alert: &Alert, cuts: &[String]) -> String {
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
        let rows: Vec<String> =
            alert.samples.iter().take(SHOWN_SAMPLES).map(|s| escape_html(&shown_sample(s))).collect();
        let _ = writeln!(out, "<h3>Samples</h3>\n<pre>{}</pre>", rows.join("\n"));
    }
    let links: Vec<String> = alert
        .runbook
        .links
        .iter()
        .filter(|l| web_link(&l.url))
        .map(|l| format!("<a href=\"{}\">{}</a>", escape_html(&l.url), escape_html(&capitalise(&l.label))))
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", links.join(" · "));
    }
    if let Some(note) = limit::note(cuts) {
        let _ = writeln!(out, "<p style=\"color: #666\">{}</p>", escape_html(&note));
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
