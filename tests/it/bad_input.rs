//! Broken, hostile and missing input, through the real binary.
//!
//! One table: each case writes its input into its own temp folder (nothing is committed) and
//! says what `contrakt lint` must answer, in both `--format json` and text: the exit code, the
//! error code, a piece of the message, and where the finding points.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::{Run, contrakt_in, locate};

/// Where the one finding of a case must point.
#[derive(Debug, Clone)]
enum At {
    /// At this 1-based line and column.
    Exact(usize, usize),
    /// On this line, any column.
    Line(usize),
    /// Anywhere, as long as the file's text at the reported line and column starts with this.
    Text(&'static str),
    /// The finding names its file but no position.
    FileOnly,
    /// The finding names no file (the input could not be opened at all).
    NoFile,
}

/// What a case must produce.
#[derive(Debug, Clone)]
enum Expect {
    /// Exactly one finding: this code, a message containing `message`, located at `at`.
    Finding { code: &'static str, message: String, at: At },
    /// Anything but a crash: lint finishes, exit code 0 or 1.
    Completes,
}

struct Case {
    name: &'static str,
    exit: &'static [i32],
    /// Writes the input under the case's folder; returns the paths to lint (relative to that
    /// folder, which is the working directory) and what to expect.
    make: fn(&Path) -> (Vec<String>, Expect),
}

const HEADER: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:contrakt:tests:orders\nname: Orders\nversion: \"1.0.0\"\nstatus: active\n";

/// A small valid contract; `extra` is appended as more top-level keys.
fn contract(extra: &str) -> String {
    format!(
        "{HEADER}schema:\n  - id: orders_tbl\n    name: orders\n    physicalType: table\n    logicalType: object\n    properties:\n      - id: orders_order_id\n        name: order_id\n        logicalType: string\n        required: true\n        primaryKey: true\n        primaryKeyPosition: 1\n{extra}"
    )
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> Vec<String> {
    std::fs::write(dir.join(name), content).expect("write input");
    vec![name.to_string()]
}

/// A registry folder with this `contrakt.yaml` and one valid contract; lint is given the folder.
fn registry_with_config(dir: &Path, config: &str) -> Vec<String> {
    std::fs::create_dir(dir.join("registry")).expect("mkdir");
    std::fs::write(dir.join("registry/contrakt.yaml"), config).expect("write config");
    std::fs::write(dir.join("registry/orders.odcs.yaml"), contract("")).expect("write contract");
    vec!["registry".into()]
}

fn finding(code: &'static str, message: impl Into<String>, at: At) -> Expect {
    Expect::Finding { code, message: message.into(), at }
}

/// Deterministic noise with NUL bytes sprinkled in, like a compressed or image file.
fn binary_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 0x0d];
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(if x.is_multiple_of(7) { 0 } else { (x >> 24) as u8 });
    }
    out
}

/// A valid contract of about `bytes` bytes: one object with tens of thousands of properties.
fn huge_contract(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1024);
    s.push_str(HEADER);
    s.push_str("schema:\n  - id: events_tbl\n    name: events\n    physicalType: table\n    logicalType: object\n    properties:\n");
    let mut i = 0;
    while s.len() < bytes {
        let _ = write!(
            s,
            "      - id: events_col_{i}\n        name: col_{i}\n        businessName: Column {i}\n        description: Generated column {i}, one of very many, to make the contract large.\n        logicalType: string\n        logicalTypeOptions:\n          maxLength: 64\n        physicalType: varchar(64)\n        required: false\n        examples: [\"value-{i}\"]\n"
        );
        i += 1;
    }
    s
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty file",
            exit: &[2],
            make: |dir| (write(dir, "empty.yaml", ""), finding("E103", "file is empty", At::FileOnly)),
        },
        Case {
            name: "file with only a comment",
            exit: &[2],
            make: |dir| {
                (
                    write(dir, "comment.yaml", "# TODO: write the contract\n"),
                    finding("E103", "file is empty", At::FileOnly),
                )
            },
        },
        Case {
            name: "not YAML: unclosed flow sequence",
            exit: &[2],
            make: |dir| {
                let text = "key: [unclosed\n";
                let (line, col) = locate(text, "[", 1);
                (write(dir, "unclosed.yaml", text), finding("E104", "invalid YAML", At::Exact(line, col)))
            },
        },
        Case {
            name: "not YAML: prose full of colons",
            exit: &[2],
            make: |dir| {
                let text = "Dear team: please find the contract attached.\nIt has: colons: everywhere, and: more\n";
                // The second `: ` on line 2 cannot start a mapping value.
                let (line, col) = locate(text, ": everywhere", 2);
                (write(dir, "prose.yaml", text), finding("E104", "invalid YAML", At::Exact(line, col)))
            },
        },
        Case {
            name: "YAML syntax error: bad indentation",
            exit: &[2],
            make: |dir| {
                let text = contract("      - id: orders_amount\n        name: amount\n       logicalType: number\n");
                let (line, col) = locate(&text, "logicalType: number", 1);
                (write(dir, "indent.yaml", &text), finding("E104", "invalid YAML", At::Exact(line, col)))
            },
        },
        Case {
            name: "duplicate keys",
            exit: &[2],
            make: |dir| {
                let text = contract(
                    "      - id: orders_amount\n        name: amount\n        logicalType: number\n        name: total\n",
                );
                let (line, col) = locate(&text, "name: total", 1);
                (write(dir, "dup.yaml", &text), finding("E106", "duplicate key `name`", At::Exact(line, col)))
            },
        },
        Case {
            name: "a mapping where a list belongs",
            exit: &[1],
            make: |dir| {
                let text = format!("{HEADER}schema: {{name: orders}}\n");
                let (line, col) = locate(&text, "{name", 1);
                (
                    write(dir, "map.yaml", &text),
                    finding("L001", "`schema` must be of type \"array\", found a mapping", At::Exact(line, col)),
                )
            },
        },
        Case {
            name: "a number where a string belongs: version",
            exit: &[1],
            make: |dir| {
                let text = contract("").replace("version: \"1.0.0\"", "version: 1.0");
                let (line, col) = locate(&text, "version: 1.0", 1);
                let col = col + "version: ".len();
                (
                    write(dir, "version.yaml", &text),
                    finding("L001", "`version` must be of type \"string\"", At::Exact(line, col)),
                )
            },
        },
        Case {
            name: "a number where a string belongs: property name",
            exit: &[1],
            make: |dir| {
                let text = contract("      - id: orders_amount\n        name: 42\n        logicalType: number\n");
                let (line, col) = locate(&text, "42", 1);
                (
                    write(dir, "name.yaml", &text),
                    finding(
                        "L001",
                        "`schema[0].properties[1].name` must be of type \"string\", found an integer",
                        At::Exact(line, col),
                    ),
                )
            },
        },
        Case {
            name: "unknown top-level key",
            exit: &[1],
            make: |dir| {
                let text = contract("owner: data-team\n");
                let (line, col) = locate(&text, "owner:", 1);
                (write(dir, "unknown.yaml", &text), finding("L001", "unknown key `owner`", At::Exact(line, col)))
            },
        },
        Case {
            name: "unknown apiVersion",
            exit: &[2],
            make: |dir| {
                let text = contract("").replace("v3.1.0", "v9.9.9");
                let (line, col) = locate(&text, "v9.9.9", 1);
                (
                    write(dir, "api.yaml", &text),
                    finding("E110", "unsupported apiVersion `v9.9.9`", At::Exact(line, col)),
                )
            },
        },
        Case {
            name: "a 20 MB contract",
            exit: &[0, 1],
            make: |dir| (write(dir, "huge.odcs.yaml", huge_contract(20 * 1024 * 1024)), Expect::Completes),
        },
        Case {
            name: "a property nested 5,000 levels deep (flow style)",
            exit: &[2],
            make: |dir| {
                let mut text = contract("").replace(
                    "        primaryKeyPosition: 1\n",
                    "        primaryKeyPosition: 1\n      - name: nested\n        logicalType: object\n        properties: ",
                );
                for i in 0..5000 {
                    let _ = write!(text, "[{{name: p{i}, logicalType: object, properties: ");
                }
                text.push_str("[{name: leaf}]");
                text.push_str(&"}]".repeat(5000));
                text.push('\n');
                let (line, _) = locate(&text, "[{name: p0,", 1);
                (write(dir, "deep-flow.yaml", &text), finding("E107", "refuses documents this deep", At::Line(line)))
            },
        },
        Case {
            name: "a property nested 200 levels deep (block style)",
            exit: &[2],
            make: |dir| {
                let mut text = contract("      - name: nested\n        logicalType: object\n        properties:\n");
                let mut indent = 8;
                for i in 0..200 {
                    let pad = " ".repeat(indent);
                    let _ = write!(text, "{pad}- name: p{i}\n{pad}  properties:\n");
                    indent += 2;
                }
                let _ = writeln!(text, "{}- name: leaf", " ".repeat(indent));
                // Points at the mapping that is one level too deep.
                (
                    write(dir, "deep-block.yaml", &text),
                    finding("E107", "refuses documents this deep", At::Text("name: p")),
                )
            },
        },
        Case {
            name: "billion laughs by bytes: 20,000 aliases of one 100 KB scalar",
            exit: &[2],
            make: |dir| {
                // 280 KB of file, a few thousand nodes, 2 GB once expanded: refused at the alias
                // that passes 64 MiB (the 672nd: 671 × 100,000 bytes still fit), before it is copied.
                let mut text = contract(&format!("x-big: &big \"{}\"\nx-laughs:\n", "ha".repeat(50_000)));
                text.push_str(&"  - *big\n".repeat(20_000));
                let (line, _) = locate(&text, "x-laughs:", 1);
                (
                    write(dir, "laughs.yaml", &text),
                    finding("E108", "aliases expand to more than 64 MiB of text", At::Exact(line + 672, 5)),
                )
            },
        },
        Case {
            name: "contrakt.yaml: a cooldown past any bound",
            exit: &[2],
            make: |dir| {
                let text = "version: 1\nalerts:\n  cooldown: 99999999999999999999999d\n";
                (
                    registry_with_config(dir, text),
                    finding("E112", "alerts.cooldown: `99999999999999999999999d` is longer than", At::Exact(3, 13)),
                )
            },
        },
        Case {
            name: "contrakt.yaml: a lease of 2^64 seconds",
            exit: &[2],
            make: |dir| {
                let text = "version: 1\nalerts:\n  timeout: 10s\n  lease: 18446744073709551616s\n";
                (
                    registry_with_config(dir, text),
                    finding("E112", "alerts.lease: `18446744073709551616s` is longer than", At::Exact(4, 10)),
                )
            },
        },
        Case {
            name: "a binary file named .yaml",
            exit: &[2],
            make: |dir| (write(dir, "x.yaml", binary_bytes(4096)), finding("E101", "not UTF-8 text", At::Exact(1, 1))),
        },
        Case {
            name: "UTF-8 text with NUL bytes",
            exit: &[2],
            make: |dir| {
                let text = format!("{HEADER}description:\0\0\0\0 purpose: x\n");
                let (line, col) = locate(&text, "\0", 1);
                (write(dir, "nul.yaml", &text), finding("E101", "NUL byte", At::Exact(line, col)))
            },
        },
        Case {
            name: "a path that does not exist",
            exit: &[2],
            make: |_| {
                let path = "no-such-folder/orders.odcs.yaml".to_string();
                (vec![path.clone()], finding("E100", format!("cannot read {path}"), At::NoFile))
            },
        },
        Case {
            name: "an empty folder",
            exit: &[2],
            make: |dir| {
                std::fs::create_dir(dir.join("registry")).expect("mkdir");
                (
                    vec!["registry".into()],
                    finding("E113", "no contracts or consumer files found in registry", At::NoFile),
                )
            },
        },
        Case {
            name: "a folder with only unrelated YAML",
            exit: &[2],
            make: |dir| {
                std::fs::create_dir_all(dir.join("registry/ci")).expect("mkdir");
                std::fs::write(
                    dir.join("registry/ci/pipeline.yaml"),
                    "stages: [build, test]\nbuild:\n  script: make\n",
                )
                .expect("write");
                std::fs::write(dir.join("registry/notes.txt"), "kind: DataContract\n").expect("write");
                (
                    vec!["registry".into()],
                    finding("E113", "no contracts or consumer files found in registry", At::NoFile),
                )
            },
        },
        Case {
            name: "a named YAML file that is not a contract",
            exit: &[2],
            make: |dir| {
                let text = "stages: [build, test]\n";
                (write(dir, "pipeline.yaml", text), finding("E111", "not a data contract", At::Exact(1, 1)))
            },
        },
    ]
}

/// 1-based line and column (in characters) → the text from there on.
fn text_at(text: &str, line: usize, column: usize) -> &str {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else { return "" };
    match l.char_indices().nth(column.saturating_sub(1)) {
        Some((i, _)) => &l[i..],
        None => "",
    }
}

/// Where a finding points: its file, and its line and column.
type Located = (Option<String>, Option<(u64, u64)>);

/// Checks one run in `--format json`. Returns the finding's file and location for the text run.
fn check_json(case: &Case, dir: &Path, expect: &Expect, run: &Run) -> Option<Located> {
    let name = case.name;
    match expect {
        Expect::Finding { code, message, at } => {
            let findings = run.findings();
            assert_eq!(findings.len(), 1, "[{name}] expected exactly one finding, {code}\n{run}");
            let f = &findings[0];
            assert_eq!(f["code"], *code, "[{name}] wrong code\n{run}");
            assert_eq!(f["level"], "error", "[{name}]\n{run}");
            let msg = f["message"].as_str().unwrap_or_default();
            assert!(msg.contains(message.as_str()), "[{name}] message should contain {message:?}\n{run}");
            assert_eq!(run.json()["summary"]["errors"], 1, "[{name}]\n{run}");
            let file = f["file"].as_str().map(str::to_string);
            let loc = f["line"].as_u64().zip(f["column"].as_u64());
            match at {
                At::Exact(line, col) => {
                    assert_eq!(loc, Some((*line as u64, *col as u64)), "[{name}] wrong line:column\n{run}")
                }
                At::Line(line) => assert_eq!(loc.map(|l| l.0), Some(*line as u64), "[{name}] wrong line\n{run}"),
                At::Text(prefix) => {
                    let (line, col) = loc.unwrap_or_else(|| panic!("[{name}] finding has no line/column\n{run}"));
                    let path =
                        dir.join(file.as_deref().unwrap_or_else(|| panic!("[{name}] finding has no file\n{run}")));
                    let text = std::fs::read_to_string(path).expect("read input");
                    let there = text_at(&text, line as usize, col as usize);
                    assert!(
                        there.starts_with(prefix),
                        "[{name}] {line}:{col} should point at {prefix:?}, points at {:?}\n{run}",
                        there.chars().take(40).collect::<String>()
                    );
                }
                At::FileOnly => {
                    assert!(file.is_some(), "[{name}] finding should name its file\n{run}");
                    assert!(f["line"].is_null() && f["column"].is_null(), "[{name}] no position expected\n{run}");
                }
                At::NoFile => {
                    assert!(f["file"].is_null() && f["line"].is_null(), "[{name}] no file or position expected\n{run}");
                }
            }
            if !matches!(at, At::FileOnly | At::NoFile) {
                assert!(loc.is_some(), "[{name}] finding should have a line and column\n{run}");
            }
            Some((file, loc))
        }
        Expect::Completes => {
            let json = run.json();
            assert_eq!(json["summary"]["files"], 1, "[{name}] one file checked\n{run}");
            let fatal: Vec<&Value> = json["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with('E')))
                .collect();
            assert!(fatal.is_empty(), "[{name}] the file should be read, not refused\n{run}");
            None
        }
    }
}

fn check_text(case: &Case, expect: &Expect, located: Option<&Located>, run: &Run) {
    let name = case.name;
    let all = format!("{}{}", run.stdout, run.stderr);
    match expect {
        Expect::Finding { code, message, at } => {
            assert!(all.contains(message.as_str()), "[{name}] output should contain {message:?}\n{run}");
            let Some((file, loc)) = located else { return };
            match file {
                Some(file) => {
                    assert!(
                        run.stdout.contains(&format!("error[{code}]: ")),
                        "[{name}] stdout should show error[{code}]\n{run}"
                    );
                    match (at, loc) {
                        (At::FileOnly, _) => {
                            assert!(run.stdout.contains(&format!("--> {file}\n")), "[{name}] should name {file}\n{run}")
                        }
                        (_, Some((line, col))) => {
                            let pos = format!("--> {file}:{line}:{col}\n");
                            assert!(run.stdout.contains(&pos), "[{name}] should point at {pos:?}\n{run}");
                        }
                        _ => {}
                    }
                    // A broken contrakt.yaml stops discovery: nothing was checked, so no summary.
                    if !file.ends_with("contrakt.yaml") {
                        assert!(run.stdout.contains("Checked 1 file: 1 error"), "[{name}] summary line\n{run}");
                    }
                }
                // Unreadable paths are reported on stderr.
                None => {
                    assert!(run.stderr.contains(message.as_str()), "[{name}] stderr should contain {message:?}\n{run}")
                }
            }
        }
        Expect::Completes => {
            assert!(run.stdout.contains("Checked 1 file: "), "[{name}] summary line\n{run}");
        }
    }
}

#[test]
fn bad_input_is_reported_not_crashed_on() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for (i, case) in cases().into_iter().enumerate() {
        let dir = root.path().join(format!("case-{i:02}"));
        std::fs::create_dir(&dir).expect("mkdir");
        let (paths, expect) = (case.make)(&dir);

        // Collect every failing case before failing, so one run shows them all.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut args: Vec<String> =
                vec!["lint".into(), "--color".into(), "never".into(), "--format".into(), "json".into()];
            args.extend(paths.iter().cloned());
            let run = contrakt_in(&dir, &args);
            run.assert_no_panic();
            assert!(
                case.exit.contains(&run.code.unwrap_or(-1)),
                "[{}] exit code should be one of {:?}\n{run}",
                case.name,
                case.exit
            );
            let located = check_json(&case, &dir, &expect, &run);

            let mut args: Vec<String> = vec!["lint".into(), "--color".into(), "never".into()];
            args.extend(paths.iter().cloned());
            let text = contrakt_in(&dir, &args);
            text.assert_no_panic();
            assert_eq!(text.code, run.code, "[{}] text and JSON runs should exit alike\n{text}", case.name);
            check_text(&case, &expect, located.as_ref(), &text);
        }));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("=== case {:?} failed:\n{msg}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
