//! A metric's history as an inline SVG line chart: the values, the baseline band they were
//! judged against, the threshold, and the points that were anomalies, failures or expected
//! events. Axes with ticks and titles, and a legend of what is drawn.

use std::fmt::Write;

use super::html::{esc, number, when};
use super::{CheckSeries, PointFlag};

const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;

/// Round tick values covering `lo..=hi`: about `n` steps of 1, 2, 2.5 or 5 × 10^k (whole
/// steps only when `whole`: counts of rows have no quarter rows).
pub(crate) fn nice_ticks(lo: f64, hi: f64, n: usize, whole: bool) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let steps: &[f64] = if whole { &[1.0, 2.0, 5.0, 10.0] } else { &[1.0, 2.0, 2.5, 5.0, 10.0] };
    let step = steps.iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let step = if whole { step.max(1.0) } else { step };
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    // Rounded to the step's precision, so 0.1 + 0.2 prints as 0.3.
    let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
    let scale = 10f64.powi(digits);
    (first..=last).map(|i| ((i as f64 * step) * scale).round() / scale).collect()
}

/// A tick label: short, with k and M for large values.
fn compact(v: f64, step: f64) -> String {
    let a = v.abs();
    if a >= 1e6 && step >= 1e4 {
        format!("{}M", trim(v / 1e6, 2))
    } else if a >= 1e4 && step >= 100.0 {
        format!("{}k", trim(v / 1e3, 1))
    } else {
        let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize + 1 };
        trim(v, decimals)
    }
}

fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".into() } else { s }
}

/// Civil date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn day_label(x: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, m, d) = civil(x.div_euclid(86_400));
    format!("{d} {}", MONTHS[(m - 1) as usize])
}

/// The chart of one series, `width` × `height` in SVG units (it scales to its box).
pub(crate) fn line_chart(s: &CheckSeries, width: f64, height: f64) -> String {
    let pts = &s.points;
    let mut out = String::new();
    let label = format!(
        "{}: {} recorded values{}",
        s.id,
        pts.len(),
        s.latest.as_ref().map(|l| format!(", latest {}", number(l.value))).unwrap_or_default()
    );
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\
         <title>{}</title>",
        esc(&label),
        esc(&label)
    );
    if pts.is_empty() {
        let _ = write!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no recorded values</text></svg>",
            width / 2.0,
            height / 2.0
        );
        return out;
    }
    let (plot_w, plot_h) = (width - LEFT - RIGHT, height - TOP - BOTTOM);

    // y: values, bands and thresholds all in view.
    let mut ys: Vec<f64> = pts.iter().map(|p| p.value).collect();
    ys.extend(pts.iter().filter_map(|p| p.band).flat_map(|(l, h)| [l, h]));
    ys.extend(s.limits.iter().copied());
    ys.retain(|v| v.is_finite());
    let (mut lo, mut hi) = ys.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.1).max(1.0);
        (lo, hi) = (lo - pad, hi + pad);
        if lo < 0.0 && ys.iter().all(|v| *v >= 0.0) {
            lo = 0.0;
        }
    }
    let whole = ys.iter().all(|v| v.fract() == 0.0);
    let ticks = nice_ticks(lo, hi, 4, whole);
    let (y0, y1) = (ticks[0], *ticks.last().unwrap_or(&hi));
    let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
    let y = |v: f64| TOP + plot_h - (v - y0) / (y1 - y0).max(f64::MIN_POSITIVE) * plot_h;

    // x: time, one day at least.
    let (x_min, x_max) = pts.iter().fold((i64::MAX, i64::MIN), |(a, b), p| (a.min(p.x), b.max(p.x)));
    let (x_min, x_max) = if x_max > x_min { (x_min, x_max) } else { (x_min - 43_200, x_max + 43_200) };
    let x = |t: i64| LEFT + (t - x_min) as f64 / (x_max - x_min) as f64 * plot_w;

    // Grid and y ticks.
    out.push_str("<g class=\"grid\">");
    for t in &ticks {
        let _ =
            write!(out, "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>", LEFT + plot_w, y(*t), y(*t));
    }
    out.push_str("</g><g class=\"tick y\">");
    for t in &ticks {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y(*t) + 4.0,
            esc(&compact(*t, step))
        );
    }
    out.push_str("</g>");

    // x ticks at midnights, every k days so at most 6 labels.
    let (d0, d1) = (x_min.div_euclid(86_400) + 1, x_max.div_euclid(86_400));
    let every = ((d1 - d0 + 1).max(1) as f64 / 6.0).ceil().max(1.0) as i64;
    out.push_str("<g class=\"tick x\">");
    let mut day = d0;
    let mut labelled = 0;
    while day <= d1 {
        let px = x(day * 86_400);
        let _ = write!(
            out,
            "<line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + plot_h,
            TOP + plot_h + 4.0,
            TOP + plot_h + 16.0,
            day_label(day * 86_400)
        );
        day += every;
        labelled += 1;
    }
    if labelled == 0 {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            LEFT + plot_w / 2.0,
            TOP + plot_h + 16.0,
            day_label(pts[0].x)
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        "<g class=\"axis\"><line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{:.1}\"/><line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/></g>",
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        TOP + plot_h
    );
    let _ = write!(
        out,
        "<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">run date (UTC)</text>\
         <text class=\"axis-title\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        LEFT + plot_w / 2.0,
        height - 6.0,
        TOP + plot_h / 2.0,
        esc(&s.unit)
    );

    // The band, one polygon per run of consecutive points that have one.
    let mut bands = String::new();
    let mut i = 0;
    while i < pts.len() {
        if pts[i].band.is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < pts.len() && pts[i].band.is_some() {
            i += 1;
        }
        let run = &pts[start..i];
        let mut d = String::new();
        if run.len() == 1 {
            let (l, h) = run[0].band.unwrap_or_default();
            let px = x(run[0].x);
            let _ = write!(d, "M{:.1} {:.1}H{:.1}V{:.1}H{:.1}Z", px - 3.0, y(h), px + 3.0, y(l), px - 3.0);
        } else {
            for (k, p) in run.iter().enumerate() {
                let (_, h) = p.band.unwrap_or_default();
                let _ = write!(d, "{}{:.1} {:.1}", if k == 0 { "M" } else { "L" }, x(p.x), y(h));
            }
            for p in run.iter().rev() {
                let (l, _) = p.band.unwrap_or_default();
                let _ = write!(d, "L{:.1} {:.1}", x(p.x), y(l));
            }
            d.push('Z');
        }
        let _ = write!(bands, "<path class=\"band\" d=\"{d}\"/>");
    }
    out.push_str(&bands);

    for l in &s.limits {
        let _ = write!(
            out,
            "<line class=\"limit\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            LEFT + plot_w,
            y(*l),
            y(*l)
        );
    }

    let mut d = String::new();
    for (k, p) in pts.iter().enumerate() {
        let _ = write!(d, "{}{:.1} {:.1}", if k == 0 { "M" } else { "L" }, x(p.x), y(p.value));
    }
    let _ = write!(out, "<path class=\"line\" d=\"{d}\"/>");

    // Points: every one when few, else only the flagged ones and the latest.
    let few = pts.len() <= 62;
    for (k, p) in pts.iter().enumerate() {
        let last = k + 1 == pts.len();
        let (class, r, note) = match &p.flag {
            PointFlag::Anomaly => ("pt anomaly", 5.0, "anomaly: outside the expected band".to_string()),
            PointFlag::Failed => ("pt failed", 4.0, "failed the threshold".to_string()),
            PointFlag::Expected(n) => ("pt expected", 4.0, format!("expected event: {n}")),
            PointFlag::Normal if last => ("pt last", 3.5, "latest".to_string()),
            PointFlag::Normal if few => ("pt", 2.2, String::new()),
            PointFlag::Normal => continue,
        };
        let band = p.band.map(|(l, h)| format!("; band {} to {}", number(l), number(h))).unwrap_or_default();
        let tip = format!(
            "{}: {}{band}{}",
            when(&p.at),
            number(p.value),
            if note.is_empty() { note } else { format!(" ({note})") }
        );
        let _ = write!(
            out,
            "<circle class=\"{class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\"><title>{}</title></circle>",
            x(p.x),
            y(p.value),
            esc(&tip)
        );
    }

    // Legend: only what is drawn.
    let mut items: Vec<(&str, &str)> = vec![("line", "value")];
    if pts.iter().any(|p| p.band.is_some()) {
        items.push(("band", "expected band"));
    }
    if !s.limits.is_empty() {
        items.push(("limit", "threshold"));
    }
    if pts.iter().any(|p| p.flag == PointFlag::Anomaly) {
        items.push(("anomaly", "anomaly"));
    }
    if pts.iter().any(|p| p.flag == PointFlag::Failed) {
        items.push(("failed", "failed"));
    }
    if pts.iter().any(|p| matches!(p.flag, PointFlag::Expected(_))) {
        items.push(("expected", "expected event"));
    }
    out.push_str("<g class=\"legend\">");
    let mut lx = LEFT;
    for (kind, text) in items {
        let swatch = match kind {
            "line" => format!("<line class=\"line\" x1=\"{lx}\" x2=\"{}\" y1=\"12\" y2=\"12\"/>", lx + 16.0),
            "band" => format!("<rect class=\"band\" x=\"{lx}\" y=\"6\" width=\"16\" height=\"12\"/>"),
            "limit" => format!("<line class=\"limit\" x1=\"{lx}\" x2=\"{}\" y1=\"12\" y2=\"12\"/>", lx + 16.0),
            other => format!("<circle class=\"pt {other}\" cx=\"{}\" cy=\"12\" r=\"4\"/>", lx + 8.0),
        };
        let _ = write!(out, "{swatch}<text x=\"{}\" y=\"16\">{text}</text>", lx + 21.0);
        lx += 21.0 + 7.0 * text.len() as f64 + 14.0;
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0, 4, false), [0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(nice_ticks(382.0, 451.0, 4, true), [380.0, 400.0, 420.0, 440.0, 460.0]);
        assert_eq!(nice_ticks(0.1, 0.3, 4, false), [0.1, 0.15, 0.2, 0.25, 0.3]);
        assert_eq!(nice_ticks(0.0, 1.0, 4, true), [0.0, 1.0]);
        assert_eq!(nice_ticks(0.0, 10.0, 4, true), [0.0, 5.0, 10.0]);
        assert_eq!(nice_ticks(5.0, 5.0, 4, false), [5.0]);
        assert_eq!(compact(12_000.0, 2_000.0), "12k");
        assert_eq!(compact(2_500_000.0, 500_000.0), "2.5M");
        assert_eq!(compact(0.15, 0.05), "0.15");
    }

    #[test]
    fn dates_of_day_numbers() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(day_label(1_795_305_600 + 21_600), "22 Nov"); // 2026-11-22
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }
}
