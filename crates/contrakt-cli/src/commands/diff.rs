//! `contrakt diff OLD NEW`: the breaking-change gate for one pair of schemas.

use contrakt_core::{Error, Finding};
use contrakt_formats::Format;
use contrakt_report::{TextOptions, diff_to_json, diff_to_markdown, diff_to_text, github_annotations, render_text};
use contrakt_workflow::gate::{GateOptions, Input, gate, load};

use crate::ExitStatus;
use crate::args::{DiffArgs, DiffFormat};
use crate::commands::print;

pub(crate) fn run(args: DiffArgs, color: bool) -> Result<ExitStatus, Error> {
    let parse_format = |f: &Option<String>| -> Result<Option<Format>, String> {
        f.as_deref()
            .map(|s| {
                Format::parse(s)
                    .ok_or_else(|| format!("unknown format `{s}`; one of: odcs, jsonschema, avro, protobuf, sql"))
            })
            .transpose()
    };
    let (old_format, new_format) = match (parse_format(&args.old_format), parse_format(&args.new_format)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    let loaded = {
        let _s = tracing::info_span!("load").entered();
        let mut all = Vec::new();
        for (path, format) in
            args.history.iter().map(|p| (p, old_format)).chain([(&args.old, old_format), (&args.new, new_format)])
        {
            all.push(load(path, format));
        }
        all
    };
    let errors: Vec<Finding> = loaded.iter().filter_map(|r| r.as_ref().err()).flat_map(|e| e.findings()).collect();
    if !errors.is_empty() {
        return Ok(fatal(&errors, args.gate.format, color));
    }
    let mut inputs: Vec<Input> = loaded.into_iter().filter_map(Result::ok).collect();
    let mut new = inputs.pop().expect("new is loaded");
    let old = inputs.pop().expect("old is loaded");
    // A live table (`contrakt diff CONTRACT TABLE`) is the contract's deployed data: the
    // contract's consumers are the ones its drift breaks.
    if new.side.contract_id.is_none() && contrakt_workflow::gate::is_live_table(&args.new) {
        new.side.contract_id.clone_from(&old.side.contract_id);
    }
    let history = inputs;

    let gate_options = GateOptions {
        mode: args.gate.mode,
        consumers: args.consumers.clone(),
        strict_consumers: args.gate.strict_consumers,
        fail_on: args.gate.fail_on.level(),
    };
    let report = match gate(&old, &new, &history, &args.new, &gate_options) {
        Ok(r) => r,
        Err(e) => return Ok(fatal(&e.findings(), args.gate.format, color)),
    };
    let text = match args.gate.format {
        DiffFormat::Json => format!("{:#}\n", diff_to_json(&report)),
        DiffFormat::Markdown => {
            diff_to_markdown(&report, &format!("`{}` → `{}`", args.old.display(), args.new.display()))
        }
        DiffFormat::Text => diff_to_text(&report, TextOptions { color }),
        DiffFormat::Github => github_annotations(&report),
        DiffFormat::Sarif => {
            let name = new.side.contract_id.clone().unwrap_or_else(|| args.new.display().to_string());
            format!("{:#}\n", contrakt_report::diff_to_sarif(&[(name.as_str(), &report)]))
        }
        DiffFormat::Junit => {
            let name = new.side.contract_id.clone().unwrap_or_else(|| args.new.display().to_string());
            contrakt_report::diff_to_junit(&[(name.as_str(), &report)], args.gate.fail_on.level())
        }
    };
    print(&text, color);
    Ok(if report.passed || args.gate.exit_zero { ExitStatus::Success } else { ExitStatus::Failure })
}

pub(crate) fn fatal(findings: &[Finding], format: DiffFormat, color: bool) -> ExitStatus {
    match format {
        DiffFormat::Json => {
            let summary = contrakt_report::Summary::of(0, findings);
            print(&format!("{:#}\n", contrakt_report::to_json("diff", summary, findings)), color);
        }
        _ => {
            for f in findings {
                if f.file.is_some() {
                    print(&render_text(std::slice::from_ref(f), TextOptions { color }), color);
                } else {
                    eprintln!("error[{}]: {}", f.code, f.message);
                }
            }
        }
    }
    ExitStatus::Error
}
