//! Human output: rustc/ruff-style snippets with a caret under the span.

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};
use contrakt_core::{Finding, Level, SourceFile};

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colours (the CLI strips them again when stdout is not a terminal).
    pub color: bool,
}

/// Renders findings one after another, each as a snippet of its file.
pub fn render_text(findings: &[Finding], options: TextOptions) -> String {
    let renderer = if options.color { Renderer::styled() } else { Renderer::plain() }.decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for finding in findings {
        out.push_str(&render_one(finding, &renderer));
        out.push_str("\n\n");
    }
    out
}

fn level(level: Level) -> SnippetLevel<'static> {
    match level {
        Level::Error => SnippetLevel::ERROR,
        Level::Warning => SnippetLevel::WARNING,
        Level::Info => SnippetLevel::INFO,
    }
}

fn render_one(f: &Finding, renderer: &Renderer) -> String {
    let title = format!("{} ({})", f.message, f.name);
    let mut groups: Vec<Group<'_>> = Vec::new();
    let primary = level(f.level).primary_title(title).id(f.code);
    let located = f.file.as_ref().zip(f.span.filter(|s| !s.is_none()));
    let group = match located {
        Some((file, span)) => {
            // Multi-line spans (a whole mapping) underline only their first line.
            let span = first_line(file, span);
            let mut spans = vec![(span, None)];
            spans.extend(f.notes.iter().filter(|(s, _)| !s.is_none()).map(|(s, n)| (*s, Some(n.as_str()))));
            let (window, line_start, base) = window(file, spans.iter().map(|(s, _)| *s));
            let mut snippet = Snippet::source(window).line_start(line_start).path(file.name()).fold(true);
            for (s, note) in spans {
                let range = (s.start as usize).saturating_sub(base)..(s.end as usize).saturating_sub(base);
                let range = clamp(window, range);
                snippet = snippet.annotation(match note {
                    None => AnnotationKind::Primary.span(range),
                    Some(n) => AnnotationKind::Context.span(range).label(n),
                });
            }
            primary.element(snippet)
        }
        None => match &f.file {
            Some(file) => primary.element(annotate_snippets::Origin::path(file.name())),
            None => primary.element(SnippetLevel::NOTE.no_name().message("")),
        },
    };
    groups.push(group);
    if let Some(help) = &f.help {
        groups.push(Group::with_title(SnippetLevel::HELP.secondary_title(help.as_str())));
    }
    renderer.render(&groups)
}

fn first_line(file: &SourceFile, span: contrakt_core::Span) -> contrakt_core::Span {
    let text = file.text();
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    match text[start..end].find('\n') {
        Some(i) => contrakt_core::Span::new(start, text[start..start + i].trim_end().len() + start),
        None => span,
    }
}

/// The lines that the spans touch, as one slice of the file, with the first line's number and
/// byte offset: huge files render as fast as small ones.
fn window(file: &SourceFile, spans: impl Iterator<Item = contrakt_core::Span>) -> (&str, usize, usize) {
    let text = file.text();
    let (mut lo, mut hi) = (usize::MAX, 0);
    for s in spans {
        lo = lo.min(s.start as usize);
        hi = hi.max(s.end as usize);
    }
    let lo = lo.min(text.len());
    let hi = hi.clamp(lo, text.len());
    let first_line = file.location(lo).line;
    let start = file.line_offset(first_line);
    let end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
    (&text[start..end], first_line, start)
}

fn clamp(window: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let mut start = range.start.min(window.len());
    let mut end = range.end.clamp(start, window.len());
    while !window.is_char_boundary(start) {
        start -= 1;
    }
    while !window.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
