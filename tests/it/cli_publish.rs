//! `contrakt publish` end to end on the example registry's deliveries: a failing audit leaves
//! the published folder alone, a passing one swaps it atomically, readers never see a mix,
//! a crash between audit and publish leaves a consistent folder, and rollback restores the
//! previous release byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::{contrakt_in, repo};

const NOW: &str = "2026-11-22T06:00:00Z";
const CONTRACT: &str = "contracts/deliveries.odcs.yaml";

fn staged(kind: &str) -> PathBuf {
    repo().join("fixtures/data/staged").join(format!("deliveries-{kind}"))
}

fn publish(target: &Path, staged: &Path, extra: &[&str]) -> crate::Run {
    let mut args =
        vec!["publish", CONTRACT, "--staged", staged.to_str().unwrap(), "--to", target.to_str().unwrap(), "--now", NOW];
    args.extend_from_slice(extra);
    contrakt_in(repo(), args)
}

fn pointer(target: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(target.join("_published.json")).ok()?;
    Some(serde_json::from_str(&text).expect("the pointer is JSON"))
}

fn log_events(target: &Path) -> Vec<String> {
    std::fs::read_to_string(target.join("_publish_log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line")["event"].as_str().unwrap().to_string())
        .collect()
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn current(target: &Path) -> PathBuf {
    target.join(pointer(target).expect("a pointer")["current"].as_str().unwrap())
}

#[test]
fn a_failing_audit_publishes_nothing_and_a_passing_one_publishes_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");

    let refused = publish(&target, &staged("broken"), &[]);
    refused.assert_exit(1);
    assert!(refused.stdout.contains("not published: the audit failed"), "{refused}");
    assert!(refused.stdout.contains("still serves nothing"), "{refused}");
    assert!(pointer(&target).is_none(), "no pointer after a failed audit");
    assert!(staged("broken").join("deliveries.parquet").exists(), "the staged data stays for inspection");
    assert_eq!(log_events(&target), ["audit-failed"]);

    let published = publish(&target, &staged("fixed"), &["--format", "json"]);
    published.assert_exit(0);
    let json = published.json();
    assert_eq!(json["published"], true, "{published}");
    assert_eq!(json["check"]["passed"], true);
    let p = pointer(&target).unwrap();
    assert_eq!(json["current"], p["current"]);
    assert_eq!(p["contract"], "urn:contrakt:meal-kit:deliveries");
    assert_eq!(files(&current(&target)), files(&staged("fixed")), "the release is the staged data, byte for byte");
    assert_eq!(log_events(&target), ["audit-failed", "published"]);

    // A second failing audit leaves the published release in place.
    let refused = publish(&target, &staged("broken"), &[]);
    refused.assert_exit(1);
    assert_eq!(pointer(&target).unwrap(), p, "a failing audit leaves the pointer unchanged");
    assert!(refused.stdout.contains(&format!("still serves {}", p["current"].as_str().unwrap())), "{refused}");

    // Readers follow the pointer: `check` on the published folder reads the current release.
    let check = contrakt_in(
        repo(),
        ["check", CONTRACT, "--data", &format!("deliveries={}", target.display()), "--now", NOW, "--format", "json"],
    );
    check.assert_exit(0);
    assert_eq!(check.json()["reports"][0]["objects"][0]["rows"], 5100, "{check}");
}

#[test]
fn the_canary_stops_a_bad_release_before_the_full_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");
    let run = publish(&target, &staged("broken"), &["--canary", "0.5"]);
    run.assert_exit(1);
    assert!(run.stdout.contains("the canary (0.5 of the rows) already fails"), "{run}");
    assert_eq!(log_events(&target), ["canary-failed"]);
    // A good release passes the canary and the full audit.
    publish(&target, &staged("fixed"), &["--canary", "0.5"]).assert_exit(0);
    let bad = publish(&target, &staged("fixed"), &["--canary", "1.5"]);
    bad.assert_exit(2);
    assert!(bad.stderr.contains("--canary"), "{bad}");
}

/// Two releases with different files: the fixed data, and the same rows under another name.
fn second_release(tmp: &Path) -> PathBuf {
    let dir = tmp.join("second");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(staged("fixed").join("deliveries.parquet"), dir.join("part-2.parquet")).unwrap();
    dir
}

#[test]
fn rollback_restores_the_previous_release_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");
    let second = second_release(tmp.path());
    publish(&target, &staged("fixed"), &[]).assert_exit(0);
    let first = files(&current(&target));
    // Run ids have a one-second stamp: make sure the second differs.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    publish(&target, &second, &[]).assert_exit(0);
    assert_eq!(files(&current(&target)), files(&second));

    let back = contrakt_in(repo(), ["publish", "--rollback", "--to", target.to_str().unwrap()]);
    back.assert_exit(0);
    assert!(back.stdout.contains("rolled back"), "{back}");
    assert_eq!(files(&current(&target)), first, "rollback restores the previous data exactly");
    assert_eq!(log_events(&target), ["published", "published", "rollback"]);

    let empty = tmp.path().join("never-published");
    let none = contrakt_in(repo(), ["publish", "--rollback", "--to", empty.to_str().unwrap()]);
    none.assert_exit(2);
    assert!(none.stderr.contains("has no published release"), "{none}");
}

#[test]
fn a_crash_between_audit_and_pointer_leaves_the_published_release_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");
    publish(&target, &staged("fixed"), &[]).assert_exit(0);
    let before = pointer(&target).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = second_release(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args([
            "publish",
            CONTRACT,
            "--staged",
            second.to_str().unwrap(),
            "--to",
            target.to_str().unwrap(),
            "--now",
            NOW,
        ])
        .env(contrakt_publish::FAULT_ENV, "before-pointer")
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), None, "the fault hook aborts the process");
    assert_eq!(pointer(&target).unwrap(), before, "the pointer did not move");
    assert_eq!(files(&current(&target)), files(&staged("fixed")), "readers still get the first release");
    assert!(target.join("_publish.lock").exists(), "the aborted run left its lock behind");
    let orphans = || {
        std::fs::read_dir(&target)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("v=") && *n != before["current"])
            .count()
    };
    assert_eq!(orphans(), 1, "the aborted release is on disk but named by no pointer");
    // The next publish takes over the dead process's lock and completes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    publish(&target, &second, &[]).assert_exit(0);
    assert_eq!(files(&current(&target)), files(&second));
    assert_eq!(orphans(), 1, "the never-published release was removed; only the new one is beside the first");
}

#[test]
fn concurrent_readers_never_see_a_mixed_or_partial_release() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");
    let second = second_release(tmp.path());
    let releases = [files(&staged("fixed")), files(&second)];
    publish(&target, &staged("fixed"), &[]).assert_exit(0);

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, target, releases) = (stop.clone(), target.clone(), releases.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    // The reader convention: the pointer, then only the files under `current`.
                    let seen = files(&current(&target));
                    assert!(
                        releases.contains(&seen),
                        "a reader saw a release that was never published: {:?}",
                        seen.keys()
                    );
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for (i, dir) in [&second, &staged("fixed"), &second].into_iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        publish(&target, dir, &[]).assert_exit(0);
        if i == 1 {
            contrakt_in(repo(), ["publish", "--rollback", "--to", target.to_str().unwrap()]).assert_exit(0);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let reads: usize = readers.into_iter().map(|r| r.join().expect("a reader failed")).sum();
    assert!(reads > 10, "the readers ran during the publishes ({reads} reads)");
}

/// `history --events --format json` of the deliveries contract in `store`.
fn events(store: &str) -> Vec<Value> {
    let run = contrakt_in(
        repo(),
        ["history", "urn:contrakt:meal-kit:deliveries", "--events", "--store", store, "--format", "json"],
    );
    run.assert_exit(0);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn every_publish_refusal_and_rollback_is_in_the_history_of_either_store() {
    let tmp = tempfile::tempdir().unwrap();
    let server = crate::postgres::server();
    let url = server.create_database("publish_events");
    // An old PostgreSQL store: a run recorded, then the store taken back to schema version 1.
    let menu = tmp.path().join("menu.odcs.yaml");
    std::fs::write(
        &menu,
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:contrakt:test:menu\nname: menu\nversion: 1.0.0\nstatus: active\n\
             servers:\n  - {{server: local, type: local, path: '{}', format: parquet}}\n\
             schema:\n  - name: weekly_menu\n    properties:\n      - {{name: menu_slot, logicalType: integer}}\n",
            tmp.path().join("weekly_menu").display()
        ),
    )
    .unwrap();
    // Beside the contract: a contract reads local data only in its repository or working folder.
    std::fs::create_dir_all(tmp.path().join("weekly_menu")).unwrap();
    std::fs::copy(
        repo().join("fixtures/data/weekly_menu/weekly_menu.parquet"),
        tmp.path().join("weekly_menu/weekly_menu.parquet"),
    )
    .unwrap();
    contrakt_in(tmp.path(), ["check", "menu.odcs.yaml", "--history", url.as_str(), "--now", NOW]).assert_exit(0);
    server.psql(
        &url,
        "DROP TABLE publish_events; ALTER TABLE metrics DROP COLUMN segment; DELETE FROM contrakt_schema WHERE version >= 2",
    );
    assert_eq!(server.psql(&url, "SELECT max(version) FROM contrakt_schema").trim(), "1");

    let sqlite = tmp.path().join("h.db");
    for (n, store) in [sqlite.to_str().unwrap(), url.as_str()].into_iter().enumerate() {
        let target = tmp.path().join(format!("deliveries-{n}"));
        let history = ["--history", store];
        publish(&target, &staged("broken"), &history).assert_exit(1);
        publish(&target, &staged("fixed"), &history).assert_exit(0);
        let first = pointer(&target).unwrap()["current"].as_str().unwrap().to_string();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        publish(&target, &second_release(tmp.path()), &history).assert_exit(0);
        let second = pointer(&target).unwrap()["current"].as_str().unwrap().to_string();
        // A rollback names no contract: the store comes from --history (or ./contrakt.yaml).
        let back = contrakt_in(repo(), ["publish", "--rollback", "--to", target.to_str().unwrap(), "--history", store]);
        back.assert_exit(0);

        let events = events(store);
        let seen: Vec<(&str, Option<&str>, Option<&str>)> = events
            .iter()
            .map(|e| (e["event"].as_str().unwrap(), e["from_version"].as_str(), e["to_version"].as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("refuse", None, None),
                ("publish", None, Some(first.as_str())),
                ("publish", Some(first.as_str()), Some(second.as_str())),
                ("rollback", Some(second.as_str()), Some(first.as_str())),
            ],
            "{store}"
        );
        let refused = &events[0];
        assert_eq!(refused["reason"], "the audit failed");
        assert!(refused["failed"].as_i64().unwrap() > 0, "the failing checks are counted: {refused}");
        assert_eq!(refused["object"], "deliveries");
        assert_eq!(refused["contract_version"], "2.1.0");
        assert_eq!(refused["target"], target.to_str().unwrap());
        assert_eq!(refused["staged"], staged("broken").to_str().unwrap());
        assert_eq!(events[1]["failed"], 0);
        assert_eq!(events[1]["run_id"].as_str().map(|r| format!("v={r}")), Some(first.clone()));
        assert_eq!(events[3]["object"], "deliveries", "the pointer names the object a rollback is of");
        assert!(events.windows(2).all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()), "oldest first");

        let text = contrakt_in(repo(), ["history", "--events", "--store", store]);
        text.assert_exit(0);
        let lines: Vec<&str> = text.stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].contains("refused   the audit failed (") && lines[0].contains("still serving nothing"),
            "{text}"
        );
        assert!(lines[1].contains(&format!("published nothing -> {first}")), "{text}");
        assert!(lines[3].contains(&format!("rollback  {second} -> {first}")), "{text}");
        let csv = contrakt_in(repo(), ["history", "--events", "--store", store, "--format", "csv"]);
        csv.assert_exit(0);
        assert!(csv.stdout.starts_with("at,contract,contract_version,object,event,run_id,from_version,to_version,"));
        assert_eq!(csv.stdout.lines().count(), 5, "{csv}");
        let other = contrakt_in(repo(), ["history", "urn:nobody", "--events", "--store", store]);
        assert_eq!(other.stdout, "no recorded publish events match\n");
    }
    // The old store migrated forward (publish events, then per-segment series) and kept its run.
    assert_eq!(server.psql(&url, "SELECT max(version) FROM contrakt_schema").trim(), "3");
    assert_eq!(server.psql(&url, "SELECT count(*) FROM runs").trim(), "1");
    let points =
        contrakt_in(tmp.path(), ["history", "--store", url.as_str(), "--metric", "rowCount", "--format", "json"]);
    assert_eq!(points.json().as_array().unwrap().len(), 1, "{points}");

    // --no-history records nothing, whatever is configured.
    let target = tmp.path().join("quiet");
    publish(&target, &staged("fixed"), &["--history", sqlite.to_str().unwrap(), "--no-history"]).assert_exit(2);
    publish(&target, &staged("fixed"), &["--no-history"]).assert_exit(0);
    assert_eq!(events(sqlite.to_str().unwrap()).len(), 4);
}

/// A pointer file as someone else could have written it.
fn hostile_pointer(current: &str, history: &[&str]) -> String {
    serde_json::json!({
        "version": 1, "current": current, "history": history, "run_id": "x",
        "published_at": NOW, "contract": "urn:contrakt:meal-kit:deliveries", "contract_version": "1.0.0",
    })
    .to_string()
}

/// A folder outside the target, with a file that must survive.
fn victim(tmp: &Path) -> PathBuf {
    let victim = tmp.join("victim");
    std::fs::create_dir_all(victim.join("inner")).unwrap();
    std::fs::write(victim.join("keep.txt"), "precious").unwrap();
    std::fs::write(victim.join("inner/keep.txt"), "precious too").unwrap();
    victim
}

#[track_caller]
fn assert_intact(victim: &Path) {
    assert_eq!(std::fs::read_to_string(victim.join("keep.txt")).unwrap(), "precious");
    assert_eq!(std::fs::read_to_string(victim.join("inner/keep.txt")).unwrap(), "precious too");
}

#[test]
fn a_pointer_naming_folders_outside_the_target_is_refused_and_nothing_is_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = victim(tmp.path());
    let absolute = victim.display().to_string();
    let names = [absolute.as_str(), "../victim", "v=x/../../victim", "v=1/inner", "victim"];
    for (i, bad) in names.iter().enumerate() {
        let target = tmp.path().join(format!("deliveries-{i}"));
        std::fs::create_dir_all(target.join("v=ok")).unwrap();
        std::fs::copy(staged("fixed").join("deliveries.parquet"), target.join("v=ok/deliveries.parquet")).unwrap();
        // As history (what publish prunes and rollback goes back to), and as current.
        for text in [hostile_pointer("v=ok", &[bad]), hostile_pointer(bad, &["v=ok"])] {
            let pointer_file = target.join("_published.json");
            std::fs::write(&pointer_file, &text).unwrap();
            let before = files(&target);
            let expected = [pointer_file.display().to_string(), format!("{bad:?}"), "not a release folder".into()];

            let run = publish(&target, &staged("fixed"), &["--keep", "1"]);
            run.assert_exit(2);
            let back = contrakt_in(repo(), ["publish", "--rollback", "--to", target.to_str().unwrap()]);
            back.assert_exit(2);
            for run in [&run, &back] {
                for piece in &expected {
                    assert!(run.stderr.contains(piece.as_str()), "{bad}: no {piece:?} in the error\n{run}");
                }
            }
            assert_intact(&victim);
            assert_eq!(files(&target), before, "{bad}: nothing in the target changed (no release, no log)\n{run}");
            assert_eq!(std::fs::read_to_string(&pointer_file).unwrap(), text);
        }
    }
}

#[test]
fn check_refuses_a_pointer_that_leads_out_of_the_published_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("deliveries");
    std::fs::create_dir_all(&target).unwrap();
    let pointer_file = target.join("_published.json");
    std::fs::write(&pointer_file, hostile_pointer("../../../etc", &[])).unwrap();
    let data = format!("deliveries={}", target.display());
    let run = contrakt_in(repo(), ["check", CONTRACT, "--data", &data, "--now", NOW]);
    run.assert_exit(2);
    assert!(run.stderr.contains(&pointer_file.display().to_string()), "{run}");
    assert!(run.stderr.contains("\"../../../etc\""), "{run}");
    assert!(!run.stdout.contains("passwd") && !run.stderr.contains("passwd"), "{run}");
}

#[cfg(unix)]
#[test]
fn a_release_folder_that_is_a_link_is_neither_pruned_through_nor_read() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = victim(tmp.path());
    let target = tmp.path().join("deliveries");
    std::fs::create_dir_all(&target).unwrap();
    // A `v=` entry no pointer names: a publish prunes orphaned releases, but not through a link.
    std::os::unix::fs::symlink(&victim, target.join("v=20200101T000000Z-dead")).unwrap();
    publish(&target, &staged("fixed"), &[]).assert_exit(0);
    assert_intact(&victim);

    // A pointer whose current release is such a link is not followed by readers.
    std::fs::write(target.join("_published.json"), hostile_pointer("v=20200101T000000Z-dead", &[])).unwrap();
    let data = format!("deliveries={}", target.display());
    let run = contrakt_in(repo(), ["check", CONTRACT, "--data", &data, "--now", NOW]);
    run.assert_exit(2);
    assert!(run.stderr.contains("v=20200101T000000Z-dead"), "{run}");
    assert!(!run.stderr.contains("precious"), "{run}");
    assert_intact(&victim);
}
