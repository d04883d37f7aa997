//! `medatlas check-links`: checks the links of some or all entries and remembers the results.

use std::io::{IsTerminal as _, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use medatlas::catalogue::{Catalogue, Entry};
use medatlas::embed::{MINILM_DIM, MINILM_ID};
use medatlas::links::{self, CheckOptions, LinkStatus};
use medatlas::store::Store;

use super::GlobalArgs;

/// What the command line passes in.
pub struct Request<'a> {
    pub ids: &'a [String],
    pub json: bool,
    pub concurrency: usize,
    pub timeout_secs: u64,
}

pub fn check_links(
    out: &mut impl Write,
    global: &GlobalArgs,
    catalogue: &Catalogue,
    request: &Request<'_>,
) -> anyhow::Result<ExitCode> {
    let entries: Vec<Entry> = if request.ids.is_empty() {
        catalogue.entries.clone()
    } else {
        let mut picked = Vec::new();
        for id in request.ids {
            let Some(entry) = catalogue.get(id) else {
                eprintln!("error: no dataset with id \"{id}\"");
                let suggestions = catalogue.suggest(id);
                if !suggestions.is_empty() {
                    eprintln!("    help: did you mean {}?", suggestions.join(", "));
                }
                eprintln!("    help: `medatlas list` shows every id");
                return Ok(ExitCode::from(2));
            };
            picked.push(entry.clone());
        }
        picked
    };
    let targets = links::targets(&entries);
    let urls: Vec<String> = targets.iter().map(|t| t.url.clone()).collect();
    let options = CheckOptions {
        concurrency: request.concurrency.max(1),
        request_timeout: Duration::from_secs(request.timeout_secs.max(1)),
        ..CheckOptions::default()
    };
    let interactive = std::io::stderr().is_terminal();
    eprintln!(
        "checking {} links of {} entries on {} hosts…",
        targets.len(),
        entries.len(),
        links::host_count(&urls)
    );
    let progress = |done: usize, total: usize| {
        if interactive {
            eprint!("\r{done}/{total} addresses checked");
            if done == total {
                eprintln!();
            }
        }
    };
    let report = links::check_urls(&urls, &options, &AtomicBool::new(false), &progress)?;
    if let Some(note) = &report.offline {
        eprintln!("note: {note}");
    }

    match Store::open(&global.sources().store_location(), MINILM_ID, MINILM_DIM) {
        Ok(store) => {
            for warning in &store.warnings {
                eprintln!("warning: {warning}");
            }
            if let Err(e) = links::save_results(&store, &report.results) {
                eprintln!("warning: the results could not be saved: {e}");
            }
        }
        Err(e) => eprintln!("warning: the results could not be saved: {e}"),
    }

    if request.json {
        let mut rows = Vec::new();
        for t in &targets {
            let Some(result) = report.get(&t.url) else {
                continue;
            };
            let mut row = serde_json::Map::new();
            row.insert("entry".into(), t.entry_id.clone().into());
            row.insert("kind".into(), t.kind.clone().into());
            if let serde_json::Value::Object(fields) = serde_json::to_value(result)? {
                row.extend(fields);
            }
            rows.push(serde_json::Value::Object(row));
        }
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }

    let id_width = targets.iter().map(|t| t.entry_id.len()).max().unwrap_or(0);
    let kind_width = targets.iter().map(|t| t.kind.len()).max().unwrap_or(0);
    let mut counts = [0usize; 5];
    for t in &targets {
        let Some(result) = report.get(&t.url) else {
            continue;
        };
        if let Some(slot) = LinkStatus::ALL.iter().position(|s| *s == result.status) {
            counts[slot] += 1;
        }
        writeln!(
            out,
            "{:<id_width$}  {:<kind_width$}  {}  {}",
            t.entry_id,
            t.kind,
            t.url,
            result.badge()
        )?;
    }
    let summary: Vec<String> = LinkStatus::ALL
        .iter()
        .zip(counts)
        .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
        .collect();
    writeln!(
        out,
        "\n{} links ({} addresses) checked in {:.1} s: {}",
        targets.len(),
        report.results.len(),
        Duration::from_millis(report.elapsed_ms).as_secs_f64(),
        summary.join(", ")
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
