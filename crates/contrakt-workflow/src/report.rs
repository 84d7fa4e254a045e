//! [`report`]: the registry as a static HTML site, what `contrakt report` writes. The workflow
//! gathers (contracts and consumers, the metrics history and the bands its baselines drew, the
//! alert state's incidents, each contract file's commits compared by the breaking-change rules)
//! into a [`Site`]; `contrakt_report::site` renders it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use contrakt_core::consumer::Consumer;
use contrakt_core::diff::gate::{self, Compared, Policy};
use contrakt_core::diff::{self};
use contrakt_core::document::Document;
use contrakt_core::expect::segment::WORST_SEGMENTS;
use contrakt_core::expect::{self, Expectation, Measure, Status, Unit};
use contrakt_core::ir::lower_contract;
use contrakt_core::odcs::{self, ContractDocument, Team};
use contrakt_core::{Level, config, registry};
use contrakt_history::baseline::{self, Judgement, Model, Season, Spec};
use contrakt_history::{Point, Query, RunSummary};
pub use contrakt_report::site::Site;
use contrakt_report::site::{
    ChangeFinding, ChangeHistory, CheckSeries, CommitSite, ConsumerSite, ConsumerUse, ContractSite, IncidentSite,
    Latest, LatestRun, PointFlag, SeriesPoint, Verdict, render_site,
};

use crate::error::{Error, Result};

/// What the site shows, and where it is written.
#[derive(Debug, Clone)]
pub struct Options {
    /// The folder the site is written into (created if missing; files of the same name are
    /// replaced, links in it are replaced rather than written through).
    pub output: PathBuf,
    /// The metrics history store [default: `history:` of the registry's `contrakt.yaml`].
    pub history: Option<PathBuf>,
    /// The alert state holding the incidents [default: the registry's `alerts.state`].
    pub alerts_state: Option<PathBuf>,
    /// The date printed on the site; without it the site holds no wall-clock time, so the same
    /// inputs give the same bytes.
    pub now: Option<DateTime<Utc>>,
    /// How many of the latest runs each chart shows.
    pub runs: usize,
    /// How many of the latest commits of each contract file are compared.
    pub commits: usize,
    /// The site's title.
    pub title: String,
}

impl Options {
    /// The site written to `output` with `contrakt report`'s defaults: 90 runs per chart,
    /// 30 commits per contract, titled "Data contracts".
    pub fn new(output: impl Into<PathBuf>) -> Options {
        Options {
            output: output.into(),
            history: None,
            alerts_state: None,
            now: None,
            runs: 90,
            commits: 30,
            title: "Data contracts".into(),
        }
    }
}

/// A site written.
#[derive(Debug)]
pub struct Written {
    /// The site's front page.
    pub index: PathBuf,
    /// The contracts it shows, and how many failed their latest recorded run.
    pub contracts: usize,
    pub failing: usize,
    /// The files written.
    pub files: usize,
}

/// What the history store holds, read once.
struct History {
    latest: Vec<RunSummary>,
    store: contrakt_history::Store,
}

/// Gathers the registry at `paths` into a site and writes it to [`Options::output`].
pub fn report(paths: &[PathBuf], options: &Options) -> Result<Written> {
    if options.output.exists() && !options.output.is_dir() {
        return Err(Error::Usage(format!("-o: {} is a file; the site needs a folder", options.output.display())));
    }
    let site = site(paths, options)?;
    let files = {
        let _s = tracing::info_span!("render").entered();
        render_site(&site)
    };
    let out = &options.output;
    let _s = tracing::info_span!("write", dir = %out.display()).entered();
    std::fs::create_dir_all(out).map_err(|e| Error::Usage(format!("cannot create {}: {e}", out.display())))?;
    for f in &files {
        write_no_follow(out, &f.path, f.contents.as_bytes())
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", out.join(&f.path).display())))?;
    }
    let failing = site.contracts.iter().filter(|c| c.latest.as_ref().is_some_and(|l| !l.passed)).count();
    Ok(Written { index: out.join("index.html"), contracts: site.contracts.len(), failing, files: files.len() })
}

/// The site of the registry at `paths`, gathered but not written.
pub fn site(paths: &[PathBuf], options: &Options) -> Result<Site> {
    if options.runs == 0 {
        return Err(Error::Usage("--runs: expected at least 1".into()));
    }
    let loaded = contrakt_alert::run::load(paths, options.alerts_state.as_deref(), true)?;
    if loaded.contracts.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Usage(format!("no contracts found in {}", shown.join(", "))));
    }
    let found = registry::discover(paths)?;
    let config = found.config.as_ref().map(|(_, c)| c.clone());
    let mut sources = Vec::new();

    let history_at = options
        .history
        .as_deref()
        .map(contrakt_history::Location::from_path)
        .or_else(|| crate::registry::history_store_at(&found.roots));
    let history = match &history_at {
        Some(contrakt_history::Location::File(p)) if !p.exists() => {
            if options.history.is_some() {
                return Err(Error::Usage(format!("--history: no history store at {}", p.display())));
            }
            sources.push(format!("No history store at {} yet", p.display()));
            None
        }
        Some(at) => {
            let _s = tracing::info_span!("history", store = %at).entered();
            let opened = contrakt_history::Store::open_read_only_at(at)
                .and_then(|store| Ok(History { latest: store.latest_runs()?, store }));
            match opened {
                Ok(h) => {
                    sources.push(format!("Metrics from {at}"));
                    Some(h)
                }
                Err(e) => return Err(Error::Usage(e.to_string())),
            }
        }
        None => {
            sources.push("No history store configured (check --history or history.path in contrakt.yaml)".into());
            None
        }
    };

    // Never create an alert state just to read it.
    let state = &loaded.settings.state;
    let incidents = if state.exists() {
        let _s = tracing::info_span!("incidents", state = %state.display()).entered();
        let list = contrakt_alert::Store::open(state).and_then(|s| s.incidents())?;
        sources.push(format!("Incidents from {}", state.display()));
        list
    } else {
        sources.push(format!("No alert state at {}", state.display()));
        Vec::new()
    };

    let mut contracts: Vec<&ContractDocument> = loaded.contracts.iter().collect();
    contracts.sort_by(|a, b| a.contract.id.cmp(&b.contract.id).then_with(|| a.source().name().cmp(b.source().name())));
    let mut pages = Vec::new();
    for doc in contracts {
        let _s = tracing::info_span!("contract", id = %doc.contract.id).entered();
        let mut page = contract_site(doc);
        if let Some(h) = &history {
            let (latest, series) = checks(doc, h, options.runs).map_err(|e| Error::Usage(e.to_string()))?;
            page.latest = latest;
            page.checks = series;
        }
        page.incidents = incidents
            .iter()
            .filter(|i| i.contract == doc.contract.id)
            .map(|i| IncidentSite {
                check: i.check.clone(),
                object: i.object.clone(),
                state: i.state.clone(),
                severity: i.severity.to_string(),
                occurrences: i.occurrences,
                alerts: i.alerts,
                opened_at: millis(i.opened_at),
                last_seen: millis(i.last_seen),
            })
            .collect();
        page.changes = changes(doc, &loaded.consumers, config.as_ref(), options.commits);
        pages.push(page);
    }
    let mut consumers: Vec<&Consumer> = loaded.consumers.iter().collect();
    consumers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Site {
        title: options.title.clone(),
        generated_at: options.now.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        sources,
        contracts: pages,
        consumers: consumers
            .into_iter()
            .map(|c| ConsumerSite {
                id: c.id.clone(),
                team: c.team.clone(),
                uses: c
                    .uses
                    .iter()
                    .map(|u| ConsumerUse {
                        contract: u.contract.clone(),
                        criticality: format!("{:?}", u.criticality).to_lowercase(),
                        versions: u.versions.clone(),
                        reads: u.reads.clone(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// Writes the file `rel` (`/`-separated) of the site under `root` without following a symbolic
/// link below `root`: a link where a folder of the site goes is replaced by a folder, and the
/// file is written beside its place and renamed over it, which replaces a link there instead
/// of writing through it. Whatever a link in the output folder pointed to is left unchanged.
fn write_no_follow(root: &Path, rel: &str, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut dir = root.to_path_buf();
    let mut parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let Some(file) = parts.pop() else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "an empty file name"));
    };
    for part in parts {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::remove_file(&dir)?;
                std::fs::create_dir(&dir)?;
            }
            Ok(_) => return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file where a folder goes")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(&dir)?,
            Err(e) => return Err(e),
        }
    }
    let path = dir.join(file);
    let tmp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    // A leftover (or a link planted) at the temporary name goes; `create_new` never opens an
    // existing entry.
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(contents))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn millis(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

/// What the contract itself says: identity, owners.
fn contract_site(doc: &ContractDocument) -> ContractSite {
    let c = &doc.contract;
    let team = c.team.as_ref().and_then(|t| match t {
        Team::Object(o) => o.name.clone().or_else(|| o.id.clone()),
        Team::Members(_) => None,
    });
    let owners = contrakt_alert::route::owners(c)
        .into_iter()
        .map(|r| {
            let who = r.name.clone().unwrap_or_else(|| r.id.clone());
            match &r.role {
                Some(role) => format!("{who} ({role})"),
                None => who,
            }
        })
        .collect();
    ContractSite {
        id: c.id.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        status: c.status.clone(),
        file: doc.source().name().to_string(),
        domain: c.domain.clone(),
        purpose: c.description.as_ref().and_then(|d| d.purpose.clone()).map(|p| p.trim().to_string()),
        team,
        owners,
        ..ContractSite::default()
    }
}

fn parse_at(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

/// The contract's latest run and one series per recorded metric: adaptive checks first (with
/// the band their baseline drew at each point), then per object its row count, duration and
/// checks in contract order.
fn checks(
    doc: &ContractDocument,
    h: &History,
    keep: usize,
) -> contrakt_history::Result<(Option<LatestRun>, Vec<CheckSeries>)> {
    let id = &doc.contract.id;
    let points = h.store.points(&Query { contract: Some(id.clone()), ..Query::default() })?;
    let mut runs: Vec<i64> = points.iter().map(|p| p.run_id).collect();
    runs.sort_unstable();
    runs.dedup();
    let latest = h.latest.iter().find(|r| &r.contract == id).map(|r| LatestRun {
        at: r.at.clone(),
        version: r.contract_version.clone(),
        passed: r.passed,
        runs: runs.len().max(1),
    });
    // Series keyed by (object, property, metric): over all rows, and a segmented check's
    // per-segment series beside them.
    type Key = (String, String, String);
    let mut series: BTreeMap<Key, Vec<&Point>> = BTreeMap::new();
    let mut by_segment: BTreeMap<Key, BTreeMap<&str, Vec<&Point>>> = BTreeMap::new();
    for p in &points {
        let key = (p.object.clone(), p.property.clone(), p.metric.clone());
        match p.segment.is_empty() {
            true => series.entry(key).or_default().push(p),
            false => by_segment.entry(key).or_default().entry(&p.segment).or_default().push(p),
        }
    }
    let compiled = expect::compile(doc);
    let expectations: BTreeMap<&str, (usize, &Expectation)> =
        compiled.iter().enumerate().map(|(i, e)| (e.id.as_str(), (i, e))).collect();
    let specs = contrakt_history::specs(doc).unwrap_or_default();
    let mut out = Vec::new();
    let mut charted: Vec<(String, String)> = Vec::new();
    for (object, spec, _) in &specs {
        let Some(((_, property, _), pts)) =
            series.iter().find(|((o, _, m), _)| o == object && *m == spec.metric).map(|(k, v)| (k.clone(), v))
        else {
            continue;
        };
        let key = (object.clone(), property.clone(), spec.metric.clone());
        out.push(adaptive(object, &property, spec, pts, keep));
        push_segments(&mut out, by_segment.get(&key), |pts| adaptive(object, &property, spec, pts, keep));
        charted.push((object.clone(), spec.metric.clone()));
    }
    // Objects in contract order, then any the contract no longer has.
    let mut objects: Vec<String> = doc.contract.schema.iter().map(|o| o.name.clone()).collect();
    for (o, _, _) in series.keys() {
        if !objects.contains(o) {
            objects.push(o.clone());
        }
    }
    for object in &objects {
        let mut keys: Vec<&(String, String, String)> = series.keys().filter(|(o, _, _)| o == object).collect();
        keys.sort_by_key(|(_, _, m)| match m.as_str() {
            "rowCount" => (0, 0, m.clone()),
            "duration" => (1, 0, m.clone()),
            _ => (2, expectations.get(m.as_str()).map_or(usize::MAX, |(i, _)| *i), m.clone()),
        });
        for key in keys {
            let (_, property, metric) = key;
            if charted.iter().any(|(o, m)| o == object && m == metric) {
                continue;
            }
            let e = expectations.get(metric.as_str()).map(|(_, e)| *e);
            out.push(plain(object, property, metric, e, &series[key], keep));
            push_segments(&mut out, by_segment.get(key), |pts| plain(object, property, metric, e, pts, keep));
        }
    }
    Ok((latest, out))
}

/// After a segmented check's series over all rows (the last of `out`), the series of its
/// worst segments: failing or anomalous at their latest point first, then by name; at most
/// [`WORST_SEGMENTS`], and the series over all rows says how many there are.
fn push_segments<'p>(
    out: &mut Vec<CheckSeries>,
    segments: Option<&BTreeMap<&str, Vec<&'p Point>>>,
    chart: impl Fn(&[&'p Point]) -> CheckSeries,
) {
    let Some(segments) = segments.filter(|s| !s.is_empty()) else { return };
    let rank = |s: &CheckSeries| match s.latest.as_ref().and_then(|l| l.verdict) {
        Some(Verdict::Fail) => 0,
        Some(Verdict::Warn) => 1,
        _ => 2,
    };
    let mut charts: Vec<CheckSeries> = segments
        .iter()
        .map(|(segment, pts)| CheckSeries { segment: Some(segment.to_string()), ..chart(pts) })
        .collect();
    // Stable: equal ranks keep the segments' (sorted) order.
    charts.sort_by_key(rank);
    let total = charts.len();
    charts.truncate(WORST_SEGMENTS);
    if let Some(all) = out.last_mut() {
        all.segments = Some((charts.len(), total));
    }
    out.extend(charts);
}

fn unit_of(metric: &str, e: Option<&Expectation>) -> String {
    match (metric, e) {
        ("rowCount", _) => "rows".into(),
        ("duration", _) => "ms".into(),
        (_, Some(e)) => match &e.measure {
            Measure::Freshness { unit, .. } | Measure::Retention { unit, .. } => unit.clone(),
            Measure::RowCount => "rows".into(),
            Measure::Sql(_) => "value".into(),
            _ if e.unit == Unit::Percent => "% of rows".into(),
            _ => "rows".into(),
        },
        (_, None) => "value".into(),
    }
}

/// A check's values against its threshold.
fn plain(
    object: &str,
    property: &str,
    metric: &str,
    e: Option<&Expectation>,
    pts: &[&Point],
    keep: usize,
) -> CheckSeries {
    let shown = &pts[pts.len().saturating_sub(keep)..];
    let judge = |v: f64| e.map(|e| Status::judged(e.threshold.holds(v), e.severity));
    let points: Vec<SeriesPoint> = shown
        .iter()
        .filter_map(|p| {
            let at = parse_at(&p.at)?;
            let flag = match (&p.expected, judge(p.value)) {
                (Some(note), _) => PointFlag::Expected(note.clone()),
                (None, Some(Status::Fail | Status::Warn)) => PointFlag::Failed,
                _ => PointFlag::Normal,
            };
            Some(SeriesPoint { at: p.at.clone(), x: at.timestamp(), value: p.value, band: None, flag })
        })
        .collect();
    let latest = points.last().map(|p| {
        let verdict = match judge(p.value) {
            Some(Status::Pass) => Verdict::Pass,
            Some(Status::Fail) => Verdict::Fail,
            Some(Status::Warn) => Verdict::Warn,
            _ => Verdict::Unjudged,
        };
        let note = match e {
            Some(e) => format!("the contract says {}", e.threshold.short()),
            None => "no threshold: measured for the record".into(),
        };
        Latest { value: p.value, verdict: Some(verdict), note }
    });
    CheckSeries {
        id: metric.to_string(),
        object: object.to_string(),
        property: (!property.is_empty()).then(|| property.to_string()),
        kind: e.map(|e| format!("{} {}", e.kind.code, e.kind.name)),
        unit: unit_of(metric, e),
        rule: e.map(|e| e.threshold.short()),
        limits: e.map(|e| e.threshold.values.clone()).unwrap_or_default(),
        model: None,
        points,
        latest,
        segment: None,
        segments: None,
    }
}

fn model_name(spec: &Spec) -> String {
    let model = match (spec.model, spec.season) {
        (Model::Seasonal, Some(Season::Daily)) => "seasonal daily",
        (Model::Seasonal, _) => "seasonal weekly",
        (Model::Median, _) => "rolling median",
        (Model::Trend, _) => "trend",
    };
    format!("{model}, sensitivity {}, min_history {}", spec.sensitivity, spec.min_history)
}

/// An adaptive check: each point judged, as `check --history` judged it, against the history
/// before it (annotated points left out).
fn adaptive(object: &str, property: &str, spec: &Spec, pts: &[&Point], keep: usize) -> CheckSeries {
    let mut history: Vec<(DateTime<Utc>, f64)> = Vec::new();
    let mut points = Vec::new();
    let mut last = None;
    let anomaly = if spec.severity.as_deref() == Some("error") { Verdict::Fail } else { Verdict::Warn };
    for p in pts {
        let Some(at) = parse_at(&p.at) else { continue };
        let judged = baseline::judge(spec, &history, at, p.value);
        let (band, flag, verdict, note) = match &judged {
            Judgement::WarmingUp { have, need } => {
                (None, PointFlag::Normal, Verdict::WarmingUp, format!("warming up: {have} of {need} runs"))
            }
            Judgement::Normal { band } => (
                Some((band.low, band.high)),
                PointFlag::Normal,
                Verdict::Pass,
                format!("within {}..{} (expected about {})", round(band.low), round(band.high), round(band.expected)),
            ),
            Judgement::Anomaly { band } => (
                Some((band.low, band.high)),
                PointFlag::Anomaly,
                anomaly,
                format!("outside {}..{} (expected about {})", round(band.low), round(band.high), round(band.expected)),
            ),
        };
        let flag = match &p.expected {
            Some(n) => PointFlag::Expected(n.clone()),
            None => {
                history.push((at, p.value));
                flag
            }
        };
        last = Some(Latest { value: p.value, verdict: Some(verdict), note });
        points.push(SeriesPoint { at: p.at.clone(), x: at.timestamp(), value: p.value, band, flag });
    }
    let points = points.split_off(points.len().saturating_sub(keep));
    CheckSeries {
        id: format!("{object}.anomaly.{}", spec.metric),
        object: object.to_string(),
        property: (!property.is_empty()).then(|| property.to_string()),
        kind: Some("Q601 anomaly".into()),
        unit: unit_of(&spec.metric, None),
        rule: None,
        limits: Vec::new(),
        model: Some(model_name(spec)),
        points,
        latest: last,
        segment: None,
        segments: None,
    }
}

fn round(v: f64) -> String {
    if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Each commit that changed the contract's file, compared with its parent.
fn changes(
    doc: &ContractDocument,
    consumers: &[Consumer],
    config: Option<&config::Config>,
    max: usize,
) -> ChangeHistory {
    let _s = tracing::info_span!("git", file = %doc.source().name()).entered();
    let file = Path::new(doc.source().name());
    let history = match crate::git::file_history(file) {
        Ok(h) => h,
        Err(why) => return ChangeHistory::Unavailable(why),
    };
    let more = history.commits.len().saturating_sub(max);
    let commits = &history.commits[..history.commits.len().min(max)];
    let mut specs = Vec::new();
    for c in commits {
        specs.push(format!("{}:{}", c.commit, c.path));
        specs.push(match (&c.parent, &c.parent_path) {
            (Some(p), Some(path)) => format!("{p}:{path}"),
            _ => "0000000:-".into(),
        });
    }
    let blobs = match crate::git::read_objects(&history.top, &specs) {
        Ok(b) => b,
        Err(e) => return ChangeHistory::Unavailable(format!("No breaking-change history: {e}")),
    };
    let known = (!consumers.is_empty()).then_some(consumers);
    let mut out = Vec::new();
    for (i, c) in commits.iter().enumerate() {
        let short: String = c.commit.chars().take(10).collect();
        let mut site = CommitSite {
            commit: short.clone(),
            date: c.date.clone(),
            author: c.author.clone(),
            subject: c.subject.clone(),
            ..CommitSite::default()
        };
        let load = |bytes: &Option<Vec<u8>>, rev: &str, path: &str| -> Option<Result<ContractDocument, String>> {
            let bytes = bytes.clone()?;
            let name = format!("{rev}:{path}");
            Some(
                registry::source_from_bytes(name, bytes)
                    .and_then(Document::parse)
                    .and_then(odcs::load_document)
                    .map_err(|e| e.to_string()),
            )
        };
        let new = load(&blobs[2 * i], &short, &c.path);
        let old = load(&blobs[2 * i + 1], "parent", c.parent_path.as_deref().unwrap_or(&c.path));
        match (old, new) {
            (_, None) => {
                site.version = "removed".into();
                site.note = Some("The file was removed in this commit.".into());
            }
            (_, Some(Err(e))) | (Some(Err(e)), _) => {
                site.version = "not comparable".into();
                site.note = Some(format!("Not compared: a side does not read as a contract ({e})."));
            }
            (None, Some(Ok(new))) => {
                site.version = format!("added at {}", new.contract.version);
                site.note = Some("The contract was added in this commit.".into());
            }
            (Some(Ok(old)), Some(Ok(new))) => {
                if let Some(from) = c.parent_path.as_ref().filter(|from| **from != c.path) {
                    site.note = Some(format!("Renamed from {from}."));
                }
                site.version = if old.contract.version == new.contract.version {
                    format!("version {} (unchanged)", new.contract.version)
                } else {
                    format!("{} → {}", old.contract.version, new.contract.version)
                };
                let schema = lower_contract(&new);
                let mode = crate::gate::default_mode(&schema, config);
                let changes = diff::diff(&lower_contract(&old), &schema);
                let old_side = contrakt_core::diff::gate::Side::of_contract(&old);
                let report = gate::judge(
                    vec![Compared { changes, old: &old_side, label: None }],
                    &contrakt_core::diff::gate::Side::of_contract(&new),
                    known,
                    &Policy { mode, fail_on: Level::Error, strict_consumers: false },
                );
                for f in &report.findings {
                    let row = ChangeFinding {
                        code: f.change.rule.code.to_string(),
                        rule: f.change.rule.slug.to_string(),
                        level: f.level.as_str().to_string(),
                        path: f.change.display_path.clone(),
                        message: f.change.message.clone(),
                        consumers: f.affected_consumers.clone(),
                    };
                    if f.breaking || (f.level == Level::Error && f.change.rule.code.starts_with('V')) {
                        site.breaking.push(row);
                    } else {
                        site.other.push(row);
                    }
                }
            }
        }
        out.push(site);
    }
    ChangeHistory::Commits { commits: out, more }
}
