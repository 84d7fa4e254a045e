//! Reads `edition = "2023"` files with protox 0.10, which knows only `proto2` and `proto3`
//! (0.10.0 is the newest protox, and prost-reflect 0.16 has no editions syntax either).
//!
//! An edition 2023 file says what proto2 says, with other defaults: explicit presence, open
//! enums, packed repeated fields. So the text is rewritten as proto2 before the compiler sees
//! it, and the edition's meaning is put back from the recorded features:
//! - the `edition` statement becomes `syntax = "proto2";`;
//! - every `features.<name> = <VALUE>` option is blanked out (spaces, so offsets stay) and
//!   recorded with where it stood;
//! - a field the proto2 parser finds without a label gets `optional ` (or `required ` when its
//!   `field_presence` is `LEGACY_REQUIRED`); these insertions are the only edits that move
//!   text, and [`Translated::original`] maps offsets back.

use protox::file::File;

/// A `features.<name> = <VALUE>` written in the file.
pub(crate) struct Feature {
    /// Offset in the original text.
    pub(crate) at: usize,
    pub(crate) name: String,
    pub(crate) value: String,
    /// An `option features.… = …;` statement (file, message or enum level), not a field option.
    pub(crate) statement: bool,
}

/// An editions file rewritten as proto2.
pub(crate) struct Translated {
    pub(crate) text: String,
    /// (offset in the rewritten text, bytes inserted there), ascending.
    inserted: Vec<(usize, usize)>,
    /// `before[i]`: the bytes inserted before `inserted[i]`, so a lookup is a binary search.
    before: Vec<usize>,
    /// The features written in the file.
    pub(crate) features: Vec<Feature>,
}

impl Translated {
    /// The offset in the original text of an offset in the rewritten one.
    pub(crate) fn original(&self, offset: usize) -> usize {
        // Insertions wholly before `offset`, then possibly one that contains it.
        let i = self.inserted.partition_point(|&(at, len)| at + len <= offset);
        let shifted =
            self.before.get(i).copied().unwrap_or_else(|| self.before.last().map_or(0, |b| b + self.inserted[i - 1].1));
        match self.inserted.get(i) {
            // Inside inserted text: the place it was inserted at.
            Some(&(at, _)) if offset >= at => at - shifted,
            _ => offset - shifted,
        }
    }

    fn index(&mut self) {
        self.inserted.sort_unstable();
        let mut sum = 0;
        self.before = self
            .inserted
            .iter()
            .map(|(_, len)| {
                let before = sum;
                sum += len;
                before
            })
            .collect();
    }
}

/// The first statement's edition, if the file starts with `edition = "…";`.
pub(crate) fn edition(text: &str) -> Option<(usize, usize)> {
    let mut i = 0;
    let bytes = text.as_bytes();
    // Skip whitespace and comments before the first statement.
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if text[i..].starts_with("//") {
            i += text[i..].find('\n').map_or(text.len() - i, |n| n + 1);
        } else if text[i..].starts_with("/*") {
            i += text[i..].find("*/").map_or(text.len() - i, |n| n + 2);
        } else {
            break;
        }
    }
    let rest = &text[i..];
    let after = rest.strip_prefix("edition")?;
    if !after.starts_with([' ', '\t', '\n', '\r', '=']) {
        return None;
    }
    let end = rest.find(';')?;
    Some((i, i + end + 1))
}

/// Blanks `features.x = Y` options out of the text, keeping offsets.
fn strip_features(text: &str) -> (String, Vec<Feature>) {
    let mut out = text.as_bytes().to_vec();
    let mut features = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += text[i..].find("*/").map_or(text.len() - i, |n| n + 2);
                continue;
            }
            _ => {}
        }
        let word_start =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'.');
        // Bytes, not `text[i..]`: `i` may sit inside a multi-byte character of untrusted text.
        if word_start && bytes[i..].starts_with(b"features.") {
            // features.<name> = <VALUE>
            let name_start = i + "features.".len();
            let name_end =
                name_start + text[name_start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(0);
            let mut j = name_end;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) != Some(&b'=') {
                i = name_end;
                continue;
            }
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let value_start = j;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            // What surrounds it: `option … ;` (a statement) or an entry of `[…]`.
            let before = text[..i].trim_end();
            features.push(Feature {
                at: i,
                name: text[name_start..name_end].to_string(),
                value: text[value_start..j].to_string(),
                statement: before.ends_with("option"),
            });
            let (from, to) = if let Some(stmt) = before.strip_suffix("option") {
                let end = text[j..].find(';').map_or(j, |n| j + n + 1);
                (stmt.len(), end)
            } else {
                // Take one neighbouring comma with the entry; drop the brackets when it was alone.
                let after = &text[j..];
                let after_trim = after.trim_start();
                if before.ends_with('[') && after_trim.starts_with(']') {
                    (before.len() - 1, j + (after.len() - after_trim.len()) + 1)
                } else if after_trim.starts_with(',') {
                    (i, j + (after.len() - after_trim.len()) + 1)
                } else if before.ends_with(',') {
                    (before.len() - 1, j)
                } else {
                    (i, j)
                }
            };
            for b in &mut out[from..to] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
            i = to.max(j);
            continue;
        }
        i += 1;
    }
    (String::from_utf8(out).unwrap_or_else(|_| text.to_string()), features)
}

/// Rewrites an editions file as proto2; `None` when `text` does not start with `edition`.
pub(crate) fn translate(name: &str, text: &str) -> Option<Translated> {
    let (start, end) = edition(text)?;
    let (stripped, features) = strip_features(text);
    let replacement = "syntax = \"proto2\";";
    let mut rewritten = String::with_capacity(text.len() + 64);
    rewritten.push_str(&stripped[..start]);
    rewritten.push_str(replacement);
    let mut inserted = Vec::new();
    let width = end - start;
    if width >= replacement.len() {
        rewritten.push_str(&" ".repeat(width - replacement.len()));
    } else {
        inserted.push((start + width, replacement.len() - width));
    }
    rewritten.push_str(&stripped[end..]);
    let mut translated = Translated { text: rewritten, inserted, before: Vec::new(), features };
    translated.index();
    // Label the fields the proto2 parser finds unlabelled, a bounded number of rounds (each
    // round labels every field the parser reported).
    for _ in 0..8 {
        let Err(e) = File::from_source(name, &translated.text) else { break };
        let mut at: Vec<usize> = diagnostics(&e)
            .into_iter()
            .filter(|(message, _)| message.starts_with("fields must have a label"))
            .map(|(_, offset)| offset)
            .collect();
        if at.is_empty() {
            break;
        }
        at.sort_unstable();
        at.dedup();
        let mut text = String::with_capacity(translated.text.len() + at.len() * 9);
        let mut last = 0;
        let mut added: Vec<(usize, usize)> = Vec::new();
        for offset in at {
            let original = translated.original(offset);
            let statement = text_statement(&translated.text, offset);
            let label = if translated.required_at(statement, original) { "required " } else { "optional " };
            text.push_str(&translated.text[last..offset]);
            text.push_str(label);
            last = offset;
            added.push((offset, label.len()));
        }
        text.push_str(&translated.text[last..]);
        // Keep every insertion in the coordinates of the newest text.
        for entry in &mut translated.inserted {
            entry.0 += added.iter().filter(|(at, _)| *at <= entry.0).map(|(_, len)| len).sum::<usize>();
        }
        let mut shift = 0;
        for (at, len) in added {
            translated.inserted.push((at + shift, len));
            shift += len;
        }
        translated.index();
        translated.text = text;
    }
    Some(translated)
}

impl Translated {
    /// Whether the field statement at `original` declares `field_presence = LEGACY_REQUIRED`.
    fn required_at(&self, len: usize, original: usize) -> bool {
        // Features are recorded in text order: look only at those inside the statement.
        let from = self.features.partition_point(|f| f.at < original);
        self.features[from..]
            .iter()
            .take_while(|f| f.at < original + len)
            .any(|f| f.name == "field_presence" && f.value == "LEGACY_REQUIRED")
    }
}

/// The length of the statement starting at `offset` (up to its `;`), in the rewritten text.
fn text_statement(text: &str, offset: usize) -> usize {
    // Bounded, so many unlabelled fields cost linear time even without semicolons.
    const MAX_STATEMENT: usize = 64 * 1024;
    text.as_bytes()[offset..].iter().take(MAX_STATEMENT).position(|b| *b == b';').map_or(0, |n| n + 1)
}

/// The message and byte offset of every diagnostic in a parse error (the first and the related).
fn diagnostics(e: &protox::Error) -> Vec<(String, usize)> {
    use miette::Diagnostic;
    let mut out = Vec::new();
    let first = e.labels().and_then(|mut l| l.next()).map(|l| l.offset());
    if let Some(offset) = first {
        out.push((e.to_string(), offset));
    }
    if let Some(related) = e.related() {
        for r in related {
            if let Some(offset) = r.labels().and_then(|mut l| l.next()).map(|l| l.offset()) {
                out.push((r.to_string(), offset));
            }
        }
    }
    out
}
