//! The dependency picture stays a picture: within each crate, the top-level modules import each
//! other without a cycle (a module can be read after the ones it uses). Test code (`tests.rs`
//! files, `#[cfg(test)]` modules) may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::repo;

/// The top-level modules a source text names through `crate::` paths, `crate::{a, b::C}` included.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        // `crate::` inside a longer word (`contrakt_crate::`) is not this crate.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let paths: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => top_level_items(group),
            None => vec![rest],
        };
        for path in paths {
            let name: String =
                path.trim().chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The comma-separated items of a `{…}` group (its opening brace already read), nested groups
/// kept whole.
fn top_level_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

/// Module → the modules it imports, for one crate's `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            let top = relative.components().next().unwrap().as_os_str().to_string_lossy();
            let module = top.trim_end_matches(".rs").to_string();
            let file = path.file_name().unwrap().to_string_lossy();
            if !file.ends_with(".rs") || file == "tests.rs" || ["lib", "main"].contains(&module.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Code only: a doc link (`[`crate::segment`]`) is not an import.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let deps = graph.entry(module.clone()).or_default();
            deps.extend(imports(&code).into_iter().filter(|m| *m != module));
        }
    }
    graph
}

/// The cycles of a graph: its strongly connected components of more than one module.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two modules are on a cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if graph.contains_key(d) && seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reach(m))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (m, r) in &reaches {
        if done.contains(*m) || !r.contains(*m) {
            continue;
        }
        let cycle: Vec<String> = r.iter().filter(|o| reaches[o].contains(*m)).cloned().collect();
        done.extend(cycle.iter().cloned());
        out.push(cycle);
    }
    out
}

#[test]
fn no_crate_has_a_cycle_among_its_modules() {
    let mut found = Vec::new();
    let (mut crates, mut modules) = (0, 0);
    for entry in std::fs::read_dir(repo().join("crates")).unwrap().flatten() {
        let src = entry.path().join("src");
        if !src.is_dir() {
            continue;
        }
        crates += 1;
        let graph = graph(&src);
        modules += graph.len();
        for cycle in cycles(&graph) {
            found.push(format!("{}: {}", entry.file_name().to_string_lossy(), cycle.join(" ↔ ")));
        }
    }
    assert!(crates >= 10 && modules > 80, "only {crates} crates and {modules} modules found");
    assert!(found.is_empty(), "modules that import each other in a circle:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("alert", vec!["config", "report"]),
        ("config", vec!["template"]),
        ("template", vec!["alert"]),
        ("report", vec!["error"]),
        ("error", vec![]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_string(), d.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(cycles(&g), vec![vec!["alert".to_string(), "config".to_string(), "template".to_string()]]);
    let text = "use crate::alert::Alert;\nuse crate::{config::{A, B}, error};\nlet x = my_crate::other;";
    assert_eq!(imports(text), ["alert", "config", "error"].into_iter().map(str::to_string).collect());
}
