//! Who reads what: consumers on the left, contracts on the right, an edge per use, styled by
//! the use's criticality. Consumers are ordered by the mean position of the contracts they read
//! (the barycentre heuristic), which keeps edges from crossing more than they must.

use std::fmt::Write;

use super::html::esc;
use super::{ConsumerSite, ContractSite};

const WIDTH: f64 = 900.0;
const BOX_W: f64 = 270.0;
const BOX_H: f64 = 36.0;
const ROW: f64 = 50.0;
const TOP: f64 = 44.0;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

/// The graph; `href(i)` is the link to contract `i`'s page, `status(i)` its badge class.
pub(crate) fn consumer_graph(
    contracts: &[ContractSite],
    consumers: &[ConsumerSite],
    href: impl Fn(usize) -> String,
    status: impl Fn(usize) -> &'static str,
) -> String {
    // Contracts of the registry, then ids consumers name that the registry does not have.
    let mut targets: Vec<(String, Option<usize>)> =
        contracts.iter().enumerate().map(|(i, c)| (c.id.clone(), Some(i))).collect();
    for u in consumers.iter().flat_map(|c| &c.uses) {
        if !targets.iter().any(|(id, _)| *id == u.contract) {
            targets.push((u.contract.clone(), None));
        }
    }
    let index = |id: &str| targets.iter().position(|(t, _)| t == id);
    let mut order: Vec<(f64, &ConsumerSite)> = consumers
        .iter()
        .map(|c| {
            let at: Vec<f64> = c.uses.iter().filter_map(|u| index(&u.contract)).map(|i| i as f64).collect();
            (if at.is_empty() { f64::MAX } else { at.iter().sum::<f64>() / at.len() as f64 }, c)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));

    let rows = targets.len().max(order.len()).max(1);
    let height = TOP + rows as f64 * ROW + 8.0;
    // Centre the shorter column against the longer one.
    let offset = |n: usize| (rows - n) as f64 * ROW / 2.0;
    let left_y = |i: usize| TOP + offset(order.len()) + i as f64 * ROW;
    let right_y = |i: usize| TOP + offset(targets.len()) + i as f64 * ROW;
    let (lx, rx) = (12.0, WIDTH - 12.0 - BOX_W);

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"graph\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Which consumers read which contracts\">\
         <title>Which consumers read which contracts</title>\
         <text class=\"col-title\" x=\"{lx}\" y=\"20\">consumers</text>\
         <text class=\"col-title\" x=\"{rx}\" y=\"20\">contracts</text>\
         <g class=\"legend\" transform=\"translate({} 0)\">\
         <line class=\"edge high\" x1=\"0\" x2=\"18\" y1=\"16\" y2=\"16\"/><text x=\"23\" y=\"20\">high</text>\
         <line class=\"edge medium\" x1=\"60\" x2=\"78\" y1=\"16\" y2=\"16\"/><text x=\"83\" y=\"20\">medium</text>\
         <line class=\"edge low\" x1=\"140\" x2=\"158\" y1=\"16\" y2=\"16\"/><text x=\"163\" y=\"20\">low criticality</text></g>",
        WIDTH / 2.0 - 110.0
    );
    out.push_str("<g class=\"edges\">");
    for (ci, (_, c)) in order.iter().enumerate() {
        for u in &c.uses {
            let Some(ti) = index(&u.contract) else { continue };
            let (x1, y1) = (lx + BOX_W, left_y(ci) + BOX_H / 2.0);
            let (x2, y2) = (rx, right_y(ti) + BOX_H / 2.0);
            let mid = (x1 + x2) / 2.0;
            let class = match u.criticality.as_str() {
                "high" => "high",
                "low" => "low",
                _ => "medium",
            };
            let reads = if u.reads.is_empty() { String::new() } else { format!(": reads {}", u.reads.join(", ")) };
            let tip = format!("{} → {} ({} criticality){reads}", c.id, u.contract, u.criticality);
            let _ = write!(
                out,
                "<path class=\"edge {class}\" d=\"M{x1:.1} {y1:.1}C{mid:.1} {y1:.1} {mid:.1} {y2:.1} {x2:.1} {y2:.1}\"><title>{}</title></path>",
                esc(&tip)
            );
        }
    }
    out.push_str("</g><g class=\"nodes\">");
    for (ci, (_, c)) in order.iter().enumerate() {
        let y = left_y(ci);
        let sub = c.team.as_deref().map(|t| format!("team {t}")).unwrap_or_default();
        let _ = write!(
            out,
            "<g class=\"node consumer\"><title>{}</title><rect x=\"{lx}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"sub\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            esc(&c.id),
            lx + 10.0,
            y + 15.0,
            esc(&clip(&c.id, 36)),
            lx + 10.0,
            y + 29.0,
            esc(&clip(&sub, 40))
        );
    }
    for (ti, (id, known)) in targets.iter().enumerate() {
        let y = right_y(ti);
        match known {
            Some(i) => {
                let c = &contracts[*i];
                let title = c.name.clone().unwrap_or_else(|| c.id.clone());
                let _ = write!(
                    out,
                    "<a href=\"{}\"><g class=\"node contract {}\"><title>{}</title>\
                     <rect x=\"{rx}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>\
                     <rect class=\"stripe\" x=\"{rx}\" y=\"{y:.1}\" width=\"5\" height=\"{BOX_H}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"sub\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g></a>",
                    esc(&href(*i)),
                    status(*i),
                    esc(id),
                    rx + 14.0,
                    y + 15.0,
                    esc(&clip(&format!("{title} v{}", c.version), 36)),
                    rx + 14.0,
                    y + 29.0,
                    esc(&clip(id, 40))
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<g class=\"node missing\"><title>{}</title><rect x=\"{rx}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"sub\" x=\"{:.1}\" y=\"{:.1}\">not in this registry</text></g>",
                    esc(id),
                    rx + 14.0,
                    y + 15.0,
                    esc(&clip(id, 36)),
                    rx + 14.0,
                    y + 29.0
                );
            }
        }
    }
    out.push_str("</g></svg>");
    out
}
