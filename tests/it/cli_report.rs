//! `contrakt report` end to end, on the example registry after a generated month of runs
//! ([`crate::month`]): incidents from routing the real check report, the registry in a git
//! repository with a breaking commit, an annotated dip and an anomaly in deliveries, and a
//! contract and consumer whose names hold markup and quotes. The site is rendered twice (same
//! bytes), its links are checked on disk, and it is loaded in headless Chromium, which must
//! render the charts without a console message; screenshots are kept in the test's folder.
//!
//! Chromium comes from Debian's package (`apt-get install -y chromium`); `.ci/run` installs it and
//! exports `CONTRAKT_CHROMIUM`. Without that variable the test looks for `chromium` on the PATH,
//! and fails when there is none.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{contrakt, contrakt_in, repo};

const HOSTILE_CONTRACT: &str = r#"apiVersion: v3.1.0
kind: DataContract
id: "urn:x:<script>alert(\"id\")</script>"
name: "<script>alert(\"name\")</script> & 'quotes'"
version: 1.0.0
status: active
description:
  purpose: "A purpose with </p><script>alert('purpose')</script> in it."
team:
  name: "<b>team</b>"
  members:
    - {username: "<img src=x onerror=alert(1)>", name: "\"Mallory\" <script>", role: owner}
schema:
  - name: "<script>obj</script>"
    physicalType: table
    properties:
      - {name: "col\"<script>", logicalType: integer, required: true}
"#;

const HOSTILE_CONSUMER: &str = r#"apiVersion: contrakt/v1
kind: Consumer
id: "<script>alert('consumer')</script>"
team: "\"quoted\" & <i>team</i>"
uses:
  - contract: "urn:x:<script>alert(\"id\")</script>"
    criticality: high
    reads: ["<script>obj</script>.col\"<script>"]
"#;

fn git(dir: &Path, args: &[&str], date: &str) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Amina Khan")
        .env("GIT_AUTHOR_EMAIL", "akhan@example.com")
        .env("GIT_COMMITTER_NAME", "Amina Khan")
        .env("GIT_COMMITTER_EMAIL", "akhan@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// The registry, in a git repository of two commits: orders 1.3.0 with a `legacy_code`
/// column, then today's orders 1.4.0 without it (a breaking change without a major bump).
fn registry(dir: &Path) -> PathBuf {
    let reg = dir.join("registry");
    copy_dir(&repo().join("contracts"), &reg);
    let orders = reg.join("orders.odcs.yaml");
    let today = std::fs::read_to_string(&orders).unwrap();
    let anchor = "      - id: orders_customer_id\n";
    assert!(today.contains(anchor) && today.contains("version: \"1.4.0\""), "the orders contract changed shape");
    let legacy = "      - id: orders_legacy_code\n        name: legacy_code\n        logicalType: string\n        description: The v1 export's order code.\n";
    let before =
        today.replacen(anchor, &format!("{legacy}{anchor}"), 1).replacen("version: \"1.4.0\"", "version: \"1.3.0\"", 1);
    std::fs::write(&orders, before).unwrap();
    git(&reg, &["init", "-q", "-b", "main"], "2026-09-01T09:00:00+00:00");
    git(&reg, &["add", "."], "2026-09-01T09:00:00+00:00");
    git(&reg, &["commit", "-q", "-m", "The meal-kit registry"], "2026-09-01T09:00:00+00:00");
    std::fs::write(&orders, today).unwrap();
    git(&reg, &["commit", "-q", "-am", "orders: retire legacy_code <with the v1 export>"], "2026-10-01T09:00:00+00:00");
    // Not committed: its page says so.
    std::fs::write(reg.join("hostile.odcs.yaml"), HOSTILE_CONTRACT).unwrap();
    std::fs::write(reg.join("consumers/hostile.yaml"), HOSTILE_CONSUMER).unwrap();
    reg
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CONTRAKT_CHROMIUM") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("chromium")).find(|p| p.is_file()));
    found.unwrap_or_else(|| {
        panic!("headless Chromium is needed: `apt-get install -y chromium` (as .ci/run does) or set CONTRAKT_CHROMIUM")
    })
}

/// Runs headless Chromium on a page, killed after a minute; returns (stdout, stderr).
fn browse(dir: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", dir.join("chromium-profile").display()))
        .args(["--enable-logging=stderr", "--v=0", "--hide-scrollbars"])
        .args(extra)
        .arg(&url)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(&mut stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut stderr).unwrap_or_default());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (out, err) = (out.join().unwrap(), err.join().unwrap());
            assert!(status.success(), "chromium failed on {url}: {status}\n{err}");
            return (out, err);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Console messages Chromium logged (`--enable-logging=stderr` writes them as `CONSOLE` lines).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("CONSOLE(")).collect()
}

/// Every `href` and `src` that is not a fragment points at a file of the site.
fn assert_links_resolve(site: &Path, page: &Path, html: &str) {
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            let target = &part[..part.find('"').unwrap()];
            assert!(!target.contains("://"), "{}: an external reference {target}", page.display());
            if target.starts_with('#') {
                continue;
            }
            let file = page.parent().unwrap().join(target);
            assert!(file.is_file(), "{}: the link {target} points at nothing", page.display());
            assert!(file.canonicalize().unwrap().starts_with(site.canonicalize().unwrap()), "{target} leaves the site");
        }
    }
}

fn read_site(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The `<article class="check …">` of a check id on a page.
fn card<'a>(page: &'a str, id: &str) -> &'a str {
    let head = format!("<h4 class=\"mono\">{id}</h4>");
    let at = page.find(&head).unwrap_or_else(|| panic!("no chart for {id}"));
    let start = page[..at].rfind("<article").unwrap();
    &page[start..start + page[start..].find("</article>").unwrap()]
}

#[test]
fn a_month_of_history_renders_as_a_site_that_chromium_displays() {
    let tmp = tempfile::Builder::new().prefix("report-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let dir = tmp.path();
    let reg = registry(dir);

    // One real check of the example data, then a month of runs derived from it.
    let check = contrakt(["check", "contracts/", "--now", "2026-11-22T06:00:00Z", "--format", "json"]);
    check.assert_exit(1);
    let report = check.json();
    std::fs::write(dir.join("check.json"), &check.stdout).unwrap();
    let history = dir.join("history.db");
    assert_eq!(crate::month::record(&history, &report), 5 * crate::month::DAYS as usize);
    let dip = (crate::month::first() + chrono::Duration::days(crate::month::DIP_DAY)).format("%Y-%m-%d").to_string();
    contrakt_in(
        dir,
        [
            "history",
            "annotate",
            "urn:contrakt:meal-kit:deliveries",
            "--object",
            "deliveries",
            "--metric",
            "rowCount",
            "--from",
            &dip,
            "--note",
            "warehouse move",
            "--store",
            "history.db",
        ],
    )
    .assert_exit(0);
    // The hostile contract's own runs.
    let mut store = contrakt_history::Store::open(&history).unwrap();
    for day in 0..3 {
        store
            .record(&contrakt_history::Run {
                contract: "urn:x:<script>alert(\"id\")</script>".into(),
                contract_version: "1.0.0".into(),
                at: crate::month::first() + chrono::Duration::days(27 + day),
                passed: day != 2,
                metrics: vec![contrakt_history::Metric {
                    object: "<script>obj</script>".into(),
                    property: "col\"<script>".into(),
                    metric: "<script>obj</script>.col\"<script>.required".into(),
                    partition: String::new(),
                    segment: String::new(),
                    value: day as f64,
                }],
            })
            .unwrap();
    }
    drop(store);
    // Incidents: the real report routed through the registry's alert settings.
    let routed = contrakt_in(
        &reg,
        [
            "alerts",
            "route",
            ".",
            "--report",
            "../check.json",
            "--now",
            "2026-11-22T06:00:00Z",
            "--state",
            "../alerts.db",
        ],
    );
    routed.assert_no_panic();

    let args = ["report", "registry", "--history", "history.db", "--alerts-state", "alerts.db", "-o"];
    let first = contrakt_in(dir, args.iter().copied().chain(["site"]));
    first.assert_exit(0);
    assert!(first.stdout.contains("(6 contracts, 6 failing in their latest run; 8 files)"), "{first}");
    let again = contrakt_in(dir, args.iter().copied().chain(["site-again"]));
    again.assert_exit(0);
    let site = dir.join("site");
    let files = read_site(&site);
    assert_eq!(files, read_site(&dir.join("site-again")), "the same inputs give the same bytes");
    assert!(files.iter().all(|(name, _)| name.ends_with(".html") || name == "style.css"));

    let page = |name: &str| std::fs::read_to_string(site.join(name)).unwrap();
    let index = page("index.html");
    let deliveries = page("contracts/contrakt-meal-kit-deliveries.html");
    let orders = page("contracts/contrakt-meal-kit-orders.html");
    let hostile = page("contracts/x-script-alert-id-script.html");
    for (name, html) in &files {
        let html = String::from_utf8_lossy(html);
        assert!(!html.to_lowercase().contains("<script"), "{name}: a script element");
        if name.ends_with(".html") {
            assert_links_resolve(&site, &site.join(name), &html);
        }
    }
    assert!(hostile.contains("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"));
    assert!(hostile.contains("is not committed to git yet"), "the uncommitted contract says so");
    assert!(index.contains("&lt;script&gt;alert(&#39;consumer&#39;)&lt;/script&gt;"), "the hostile consumer, escaped");

    // Overview: each contract with its status, owners and consumers, and the graph.
    for id in ["orders", "order-items", "deliveries", "recipes", "customers"] {
        assert!(index.contains(&format!("href=\"contracts/contrakt-meal-kit-{id}.html\"")), "{id}");
    }
    assert!(index.contains("Amina Khan (owner)") && index.contains("finance-revenue-dashboard"));
    assert!(index.contains("<svg class=\"graph\""));

    // The seasonal check: warming up, then a band; the dip annotated; the last day an anomaly.
    let anomaly = card(&deliveries, "deliveries.anomaly.rowCount");
    assert!(anomaly.contains("<path class=\"band\""), "{anomaly}");
    assert!(anomaly.contains("expected event: warehouse move"), "{anomaly}");
    assert!(anomaly.contains("1 of 30 runs flagged"), "only the last day: {anomaly}");
    assert!(anomaly.contains("<title>2026-11-22 06:00 UTC: 2,280; band"), "{anomaly}");
    assert!(anomaly.contains("<span class=\"badge warn\">warn</span>"), "{anomaly}");
    // Latest verdicts agree with the real check report where the month kept its values.
    for r in report["reports"].as_array().unwrap().iter().filter(|r| r["contract"] == "urn:contrakt:meal-kit:orders") {
        for result in r["results"].as_array().unwrap().iter().filter(|r| r["value"].is_number()) {
            let id = result["id"].as_str().unwrap();
            if result["kind"] == "row-count" || !orders.contains(&format!("<h4 class=\"mono\">{id}</h4>")) {
                continue;
            }
            let expected = match result["status"].as_str().unwrap() {
                "pass" => "pass",
                "fail" => "fail",
                "warn" => "warn",
                _ => continue,
            };
            assert!(card(&orders, id).starts_with(&format!("<article class=\"check {expected}\"")), "{id}: {expected}");
        }
    }
    // Open incidents, and the breaking change in git.
    assert!(
        orders.contains("orders_status_valid") && orders.contains("<h2>Open incidents</h2><div class=\"table-wrap\">")
    );
    assert!(orders.contains("orders: retire legacy_code &lt;with the v1 export&gt;"));
    assert!(orders.contains("1.3.0 → 1.4.0") && orders.contains("orders.legacy_code"), "the removed column");
    assert!(orders.contains("V001"), "a breaking change without a major version");
    assert!(orders.contains("added at 1.3.0"));

    // In a real browser: the charts are in the DOM, nothing was logged, screenshots taken.
    for (name, charts) in [
        ("index.html", 0),
        ("contracts/contrakt-meal-kit-deliveries.html", 20),
        ("contracts/x-script-alert-id-script.html", 1),
    ] {
        let (dom, log) = browse(dir, &site.join(name), &["--dump-dom"]);
        assert!(dom.contains("<svg class=") && dom.contains("</svg>"), "{name}: no SVG in the DOM\n{dom}");
        assert!(dom.matches("<svg class=\"chart\"").count() >= charts, "{name}: charts missing");
        assert!(!dom.to_lowercase().contains("<script"), "{name}");
        assert_eq!(console_lines(&log), Vec::<&str>::new(), "{name}: console messages");
        if charts > 0 {
            assert!(dom.contains("<path class=\"line\" d=\"M"), "{name}: no drawn line");
        } else {
            assert!(dom.contains("<path class=\"edge high\""), "{name}: no graph edges");
        }
    }
    for (name, shot) in
        [("index.html", "overview.png"), ("contracts/contrakt-meal-kit-deliveries.html", "deliveries.png")]
    {
        let png = dir.join(shot);
        browse(dir, &site.join(name), &["--window-size=1280,1800", &format!("--screenshot={}", png.display())]);
        let bytes = std::fs::read(&png).expect("a screenshot");
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "{shot}: {} bytes", bytes.len());
    }
    if std::env::var_os("CONTRAKT_KEEP_REPORT").is_some() {
        eprintln!("kept the site and screenshots in {}", tmp.keep().display());
    }
}

/// Without history or alert state the site still renders (and says so); bad options and
/// unreadable stores are precise errors with exit code 2, never a panic.
#[test]
fn missing_stores_render_and_bad_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let reg = dir.join("registry");
    copy_dir(&repo().join("contracts"), &reg);
    let plain = contrakt_in(dir, ["report", "registry", "-o", "site", "--now", "2026-11-22T06:00:00Z"]);
    plain.assert_exit(0);
    let index = std::fs::read_to_string(dir.join("site/index.html")).unwrap();
    assert!(index.contains("Generated by <b>contrakt report</b> at 2026-11-22 06:00 UTC."), "{index}");
    assert!(index.contains("No history store configured") && index.contains("No alert state at"), "{index}");
    assert!(!reg.join(".contrakt/alerts.db").exists(), "reading the alert state never creates it");
    let orders = std::fs::read_to_string(dir.join("site/contracts/contrakt-meal-kit-orders.html")).unwrap();
    assert!(orders.contains("No metrics recorded for this contract"));
    assert!(orders.contains("the contract is not in a git repository"), "a registry outside git");

    std::fs::write(dir.join("garbage.db"), "this is not a database, just text long enough to have a header").unwrap();
    std::fs::write(dir.join("a-file"), "").unwrap();
    let cases: [&[&str]; 6] = [
        &["report", "registry", "-o", "out", "--history", "missing.db"],
        &["report", "registry", "-o", "out", "--history", "garbage.db"],
        &["report", "registry", "-o", "out", "--now", "someday"],
        &["report", "registry", "-o", "out", "--runs", "0"],
        &["report", "registry", "-o", "a-file"],
        &["report", "nowhere", "-o", "out"],
    ];
    let mut shown = String::new();
    for args in cases {
        let run = contrakt_in(dir, args);
        run.assert_exit(2);
        assert!(run.stdout.is_empty(), "{run}");
        shown.push_str(&format!("$ contrakt {}\n{}", args.join(" "), run.stderr));
    }
    crate::with_stable_output(|| insta::assert_snapshot!(shown));
}

/// A contract renamed and moved in git keeps its history: the report follows the file back
/// through the rename (`git log --follow`) to the breaking change and the commit that added it.
#[test]
fn the_breaking_change_history_follows_a_renamed_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let reg = registry(dir);
    std::fs::create_dir_all(reg.join("sales")).unwrap();
    git(&reg, &["mv", "orders.odcs.yaml", "sales/orders.odcs.yaml"], "2026-10-15T09:00:00+00:00");
    git(&reg, &["commit", "-q", "-m", "Move orders under sales/"], "2026-10-15T09:00:00+00:00");
    let moved = reg.join("sales/orders.odcs.yaml");
    let text = std::fs::read_to_string(&moved).unwrap();
    std::fs::write(&moved, format!("{text}\n# Owned by the sales team since the move.\n")).unwrap();
    git(&reg, &["commit", "-q", "-am", "orders: a note after the move"], "2026-11-01T09:00:00+00:00");

    contrakt_in(dir, ["report", "registry", "-o", "site", "--now", "2026-11-22T06:00:00Z"]).assert_exit(0);
    let orders = std::fs::read_to_string(dir.join("site/contracts/contrakt-meal-kit-orders.html")).unwrap();
    // Newest first: the edit at the new path, the move, then the history from before it.
    let at = |needle: &str| orders.find(needle).unwrap_or_else(|| panic!("{needle} missing from the orders page"));
    let (edit, mv, breaking, added) = (
        at("orders: a note after the move"),
        at("Move orders under sales/"),
        at("orders: retire legacy_code &lt;with the v1 export&gt;"),
        at("The meal-kit registry"),
    );
    assert!(edit < mv && mv < breaking && breaking < added, "in order, newest first");
    assert!(orders.contains("Renamed from orders.odcs.yaml."), "the move says where from");
    assert!(orders.contains("1.3.0 → 1.4.0") && orders.contains("orders.legacy_code"), "the removed column");
    assert!(orders.contains("V001"), "the breaking change from before the move");
    assert!(orders.contains("added at 1.3.0"));
}
