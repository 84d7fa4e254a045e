//! Bounds on what a channel is sent. A receiver refuses a body over its limit (PagerDuty at
//! 512 KB, Teams at about 28 KB), and a refused page is a lost page: so every payload is made
//! to fit. The samples go first (each value cut short, then fewer rows), then long texts, and
//! the payload says what was cut. It stays the channel's valid payload, naming the contract
//! and the check.

use std::fmt::Write;

use serde_json::{Map, Value as Json};

use crate::alert::Alert;

/// Slack: a message's blocks hold at most 3,000 characters of text each; the whole body is
/// kept under 40,000 bytes.
pub const SLACK: usize = 40_000;
/// Microsoft Teams: about 28 KB per message, card included.
pub const TEAMS: usize = 28_000;
/// PagerDuty Events API v2: 512 KB per event.
pub const PAGERDUTY: usize = 512_000;
/// The generic webhook and the file channel's lines (`docs/alert-webhook.md`): 1 MiB.
pub const WEBHOOK: usize = 1 << 20;
/// Email: the plain-text and HTML parts together, 1 MiB.
pub const EMAIL: usize = 1 << 20;

/// What a sample value is cut to when the samples do not fit whole.
const SAMPLE_VALUE_CHARS: usize = 256;
/// The caps tried in turn on every text of the alert once the samples are cut.
const TEXT_CHARS: [usize; 4] = [4096, 1024, 256, 64];
/// How many items a list of the alert (recipients, steps, links) keeps under those caps.
const LIST_ITEMS: usize = 20;

/// The payload of `render` for `alert`, within `limit` as measured by `size`. `render` gets
/// the alert to render and what was cut from it (empty when nothing was), to say in the
/// payload. When even the smallest form does not fit, that form is returned.
pub fn fit<T>(alert: &Alert, limit: usize, render: impl Fn(&Alert, &[String]) -> T, size: impl Fn(&T) -> usize) -> T {
    let whole = render(alert, &[]);
    if size(&whole) <= limit {
        return whole;
    }
    drop(whole);
    let mut a = alert.clone();
    let mut cuts = Vec::new();

    // 1. Each sample value cut short.
    let rows = a.samples.len();
    if rows > 0 {
        a.samples = a.samples.iter().map(cut_row).collect();
        cuts.push(format!("sample values cut to {SAMPLE_VALUE_CHARS} characters"));
        let out = render(&a, &cuts);
        if size(&out) <= limit {
            return out;
        }
    }

    // 2. Fewer sample rows: the most that fit.
    if rows > 0 {
        let with = |k: usize| {
            let mut b = a.clone();
            b.samples.truncate(k);
            let mut c = cuts.clone();
            c.push(format!("{k} of {rows} sample rows kept"));
            (b, c)
        };
        let (mut lo, mut hi) = (0, rows - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let (b, c) = with(mid);
            if size(&render(&b, &c)) <= limit { lo = mid } else { hi = mid - 1 }
        }
        let (b, c) = with(lo);
        let out = render(&b, &c);
        if size(&out) <= limit {
            return out;
        }
        (a, cuts) = (b, c);
    }

    // 3. Every text of the alert (its message, the rule's query, contract and check names)
    //    cut, shorter each time, and its lists shortened.
    let mut last = None;
    for max in TEXT_CHARS {
        let b = cap_texts(&a, max);
        let mut c = cuts.clone();
        c.push(format!("texts cut to {max} characters"));
        let out = render(&b, &c);
        if size(&out) <= limit {
            return out;
        }
        last = Some(out);
    }
    last.unwrap_or_else(|| render(&a, &cuts))
}

/// One sentence naming what was cut, for the payload's people-facing text.
pub fn note(cuts: &[String]) -> Option<String> {
    (!cuts.is_empty()).then(|| format!("Cut to fit the channel's size limit: {}.", cuts.join("; ")))
}

fn cut_row(row: &Map<String, Json>) -> Map<String, Json> {
    row.iter()
        .map(|(k, v)| {
            let k = if k.chars().count() > SAMPLE_VALUE_CHARS { cut_string(k, SAMPLE_VALUE_CHARS) } else { k.clone() };
            (k, cut_value(v, SAMPLE_VALUE_CHARS))
        })
        .collect()
}

/// The alert with every string over `max` characters cut and every list over [`LIST_ITEMS`]
/// shortened (through its JSON form, so no field is missed).
fn cap_texts(alert: &Alert, max: usize) -> Alert {
    fn cap(v: Json, max: usize) -> Json {
        match v {
            Json::String(s) if s.chars().count() > max => Json::String(cut_string(&s, max)),
            Json::Array(items) => Json::Array(items.into_iter().take(LIST_ITEMS).map(|i| cap(i, max)).collect()),
            Json::Object(m) => Json::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let k = if k.chars().count() > max { cut_string(&k, max) } else { k };
                        (k, cap(v, max))
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    serde_json::to_value(alert)
        .ok()
        .map(|v| cap(v, max))
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| alert.clone())
}

/// The size of a JSON payload as sent.
pub fn json_size(v: &Json) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// A JSON value with every string longer than `max` characters cut (nested ones too).
pub(crate) fn cut_value(v: &Json, max: usize) -> Json {
    match v {
        Json::String(s) if s.chars().count() > max => Json::String(cut_string(s, max)),
        Json::Array(items) => Json::Array(items.iter().map(|i| cut_value(i, max)).collect()),
        Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), cut_value(v, max))).collect()),
        other => other.clone(),
    }
}

/// The first `max` characters and `…[N more characters]`.
pub(crate) fn cut_string(s: &str, max: usize) -> String {
    let total = s.chars().count();
    let mut t: String = s.chars().take(max).collect();
    let _ = write!(t, "…[{} more characters]", total - max);
    t
}
