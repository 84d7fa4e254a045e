//! Escaping and the page frame. Every piece of text from a contract, a consumer file, the history
//! store or git goes through [`esc`], in element content and in attributes alike.

use std::fmt::Write;

/// Escapes text for HTML and SVG, in content or in a quoted attribute.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a page (and some are invalid in XML/SVG).
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `root` is the relative path back to the site's folder (`""` or `"../"`).
pub(crate) fn page(title: &str, root: &str, footer: &str, body: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"contrakt report\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{root}style.css\">\n</head>\n<body>\n\
         <header class=\"top\"><a class=\"brand\" href=\"{root}index.html\">contrakt</a>\
         <span class=\"crumb\">data contracts report</span></header>\n<main>\n{body}</main>\n\
         <footer>{footer}</footer>\n</body>\n</html>\n",
        esc(title)
    );
    out
}

/// A status badge.
pub(crate) fn badge(class: &str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

/// A number for people: integers as such with thousands separators, others with up to 4
/// significant decimals.
pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{}", v.abs() as i64);
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        return if v < 0.0 { format!("-{grouped}") } else { grouped };
    }
    let s = if v.abs() >= 100.0 { format!("{v:.1}") } else { format!("{v:.4}") };
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `2026-11-22T06:00:00.000000Z` → `2026-11-22 06:00 UTC`; other text as it is.
pub(crate) fn when(at: &str) -> String {
    let b = at.as_bytes();
    if at.len() >= 16 && b[10] == b'T' && at.is_char_boundary(16) {
        let zone = if at.ends_with('Z') { " UTC".to_string() } else { at.get(19..).map(zone_of).unwrap_or_default() };
        format!("{} {}{zone}", &at[..10], &at[11..16])
    } else {
        at.to_string()
    }
}

/// The offset part of an RFC 3339 time after the seconds (`.123+02:00` → ` +02:00`).
fn zone_of(rest: &str) -> String {
    match rest.find(['+', '-']) {
        Some(i) => format!(" {}", &rest[i..]),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn numbers_and_times_for_people() {
        assert_eq!(number(10200.0), "10,200");
        assert_eq!(number(-1234567.0), "-1,234,567");
        assert_eq!(number(0.029411764), "0.0294");
        assert_eq!(number(1234.56), "1234.6");
        assert_eq!(when("2026-11-22T06:00:00.000000Z"), "2026-11-22 06:00 UTC");
        assert_eq!(when("2026-11-22T06:00:00+02:00"), "2026-11-22 06:00 +02:00");
        assert_eq!(when("yesterday"), "yesterday");
    }
}
