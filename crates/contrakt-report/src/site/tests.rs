use super::*;

const HOSTILE: &str = r#"<script>alert("x")</script>'&"#;

fn point(day: i64, value: f64, band: Option<(f64, f64)>, flag: PointFlag) -> SeriesPoint {
    let x = 1_795_305_600 + 21_600 + day * 86_400;
    SeriesPoint { at: format!("2026-11-{:02}T06:00:00.000000Z", 22 + day), x, value, band, flag }
}

fn site() -> Site {
    site_with(HOSTILE)
}

fn site_with(text: &str) -> Site {
    let checks = vec![
        CheckSeries {
            id: "deliveries.anomaly.rowCount".into(),
            object: "deliveries".into(),
            unit: "rows".into(),
            model: Some("seasonal weekly, sensitivity 3".into()),
            points: vec![
                point(0, 400.0, None, PointFlag::Normal),
                point(1, 410.0, Some((380.0, 440.0)), PointFlag::Normal),
                point(2, 150.0, Some((385.0, 445.0)), PointFlag::Anomaly),
            ],
            latest: Some(Latest { value: 150.0, verdict: Some(Verdict::Warn), note: "outside 385..445".into() }),
            ..CheckSeries::default()
        },
        CheckSeries {
            id: text.into(),
            object: text.into(),
            property: Some(text.into()),
            kind: Some("Q303 invalid-values".into()),
            unit: "rows".into(),
            rule: Some("= 0".into()),
            limits: vec![0.0],
            points: vec![
                point(0, 0.0, None, PointFlag::Normal),
                point(1, 3.0, None, PointFlag::Failed),
                point(2, 4.0, None, PointFlag::Expected(text.into())),
            ],
            latest: Some(Latest { value: 3.0, verdict: Some(Verdict::Fail), note: text.into() }),
            segment: Some(text.into()),
            ..CheckSeries::default()
        },
    ];
    Site {
        title: format!("Registry {text}"),
        generated_at: Some("2026-11-24T06:00:00Z".into()),
        sources: vec![format!("history from {text}")],
        contracts: vec![
            ContractSite {
                id: format!("urn:{text}"),
                name: Some(text.into()),
                version: "1.0.0".into(),
                status: "active".into(),
                file: format!("{text}.odcs.yaml"),
                domain: Some(text.into()),
                purpose: Some(text.into()),
                team: Some(text.into()),
                owners: vec![format!("{text} (owner)")],
                latest: Some(LatestRun {
                    at: "2026-11-24T06:00:00.000000Z".into(),
                    version: "1.0.0".into(),
                    passed: false,
                    runs: 3,
                }),
                checks,
                incidents: vec![IncidentSite {
                    check: text.into(),
                    object: text.into(),
                    state: "open".into(),
                    severity: "error".into(),
                    occurrences: 2,
                    alerts: 1,
                    opened_at: "2026-11-23T06:00:00Z".into(),
                    last_seen: "2026-11-24T06:00:00Z".into(),
                }],
                changes: ChangeHistory::Commits {
                    commits: vec![CommitSite {
                        commit: "abc1234".into(),
                        date: "2026-11-01T09:00:00+00:00".into(),
                        author: text.into(),
                        subject: text.into(),
                        version: "0.9.0 → 1.0.0".into(),
                        note: None,
                        breaking: vec![ChangeFinding {
                            code: "F004".into(),
                            rule: "field-removed".into(),
                            level: "error".into(),
                            path: text.into(),
                            message: text.into(),
                            consumers: vec![text.into()],
                        }],
                        other: vec![],
                    }],
                    more: 0,
                },
            },
            ContractSite {
                id: "urn:quiet".into(),
                version: "2.0.0".into(),
                status: "draft".into(),
                file: "quiet.odcs.yaml".into(),
                changes: ChangeHistory::Unavailable("not in a git repository".into()),
                ..ContractSite::default()
            },
        ],
        consumers: vec![ConsumerSite {
            id: text.into(),
            team: Some(text.into()),
            uses: vec![
                ConsumerUse {
                    contract: format!("urn:{text}"),
                    criticality: "high".into(),
                    versions: None,
                    reads: vec![text.into()],
                },
                ConsumerUse {
                    contract: "urn:elsewhere".into(),
                    criticality: "low".into(),
                    versions: None,
                    reads: vec![],
                },
            ],
        }],
    }
}

#[test]
fn hostile_names_are_escaped_everywhere() {
    let files = render_site(&site());
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["style.css", "index.html", "contracts/script-alert-x-script.html", "contracts/quiet.html"]);
    for f in &files {
        let lower = f.contents.to_lowercase();
        assert!(!lower.contains("<script"), "{}: an unescaped script tag", f.path);
        assert!(!lower.contains("alert(\"x\")"), "{}: unescaped quotes", f.path);
        assert!(!lower.contains("javascript:"), "{}", f.path);
        if f.path.ends_with(".html") {
            assert!(f.contents.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;"), "{}", f.path);
        }
    }
}

#[test]
fn the_same_site_renders_the_same_bytes() {
    assert_eq!(render_site(&site()), render_site(&site()));
}

#[test]
fn charts_draw_band_threshold_and_flags_with_a_legend() {
    let files = render_site(&site());
    let page = &files[2].contents;
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 2);
    assert!(page.contains("<path class=\"band\""), "the adaptive check's band");
    assert!(page.contains("<line class=\"limit\""), "the threshold line");
    assert!(page.contains("<circle class=\"pt anomaly\""));
    assert!(page.contains("<circle class=\"pt failed\""));
    assert!(page.contains("<circle class=\"pt expected\""));
    for item in ["value", "expected band", "threshold", "anomaly", "failed", "expected event", "run date (UTC)"] {
        assert!(page.contains(&format!(">{item}</text>")), "legend or axis item {item}");
    }
    let quiet = &files[3].contents;
    assert!(quiet.contains("not in a git repository"));
    assert!(quiet.contains("No metrics recorded"));
    let index = &files[1].contents;
    assert!(index.contains("<svg class=\"graph\""));
    assert!(index.contains("not in this registry"), "a consumer's use of an unknown contract");
    assert!(index.contains("href=\"contracts/quiet.html\""));
}

#[test]
fn overview_snapshot() {
    let files = render_site(&site());
    insta::assert_snapshot!(files[1].contents);
}

proptest::proptest! {
    /// Whatever text a contract, consumer, store or commit holds, it adds no markup: every page
    /// has the same tags and attribute quotes as with plain text in its place.
    #[test]
    fn any_text_adds_no_markup(text in "\\PC{0,40}") {
        let plain = render_site(&site_with("plain"));
        let given = render_site(&site_with(&text));
        proptest::prop_assert_eq!(plain.len(), given.len());
        for (p, g) in plain.iter().zip(&given) {
            for c in ['<', '>', '"'] {
                proptest::prop_assert_eq!(p.contents.matches(c).count(), g.contents.matches(c).count(), "{} {:?}", g.path, c);
            }
        }
    }
}
