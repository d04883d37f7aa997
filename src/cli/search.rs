//! `medatlas search` and `medatlas eval`: the search engine from the terminal.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use medatlas::catalogue::Catalogue;
use medatlas::embed::remote::{ENV_MODEL, ENV_URL, RemoteConfig};
use medatlas::engine::EmbedderChoice;
use medatlas::search::eval;
use medatlas::search::{Mode, Query, SearchEngine};

use super::{EmbedderArgs, EmbedderKind, GlobalArgs};

/// The embedder the `--embedder` option names, with a remote service's settings read from the
/// environment.
pub fn embedder_choice(args: &EmbedderArgs) -> anyhow::Result<EmbedderChoice> {
    Ok(match args.kind {
        EmbedderKind::Minilm => EmbedderChoice::MiniLm,
        EmbedderKind::Remote => match RemoteConfig::from_env()? {
            Some(config) => EmbedderChoice::Remote(config),
            None => anyhow::bail!(
                "--embedder remote needs {ENV_URL} (the service's address) and {ENV_MODEL}"
            ),
        },
    })
}

/// The search engine for a command, with every vector of the chosen embedder (the first run
/// embeds the catalogue, reporting on stderr); keyword-only commands load no model. Warnings (a
/// store rebuilt, a remote service replaced by the embedded model) are printed here, once.
pub fn engine(
    catalogue: &Catalogue,
    global: &GlobalArgs,
    choice: &EmbedderChoice,
) -> anyhow::Result<SearchEngine> {
    let built = medatlas::engine::build(
        catalogue,
        &global.sources().store_location(),
        choice,
        |done, total| {
            if done == 0 {
                eprintln!(
                    "indexing {total} entries for semantic search (once; later runs reuse the vectors)…"
                );
            }
        },
    )
    .context("preparing the search engine")?;
    for warning in built.warnings.iter().chain(&built.fallback) {
        eprintln!("warning: {warning}");
    }
    Ok(built.engine)
}

pub fn search(
    out: &mut impl Write,
    engine: &SearchEngine,
    query: &Query,
    json: bool,
) -> anyhow::Result<()> {
    let mode = query.mode;
    let results = engine.search(query)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &results)?;
        writeln!(out)?;
        return Ok(());
    }
    for note in &results.notes {
        writeln!(out, "note: {note}")?;
    }
    if !results.semantic_ready && mode != Mode::Keyword {
        writeln!(out, "note: semantic index not ready; keyword results only")?;
    }
    for (rank, hit) in results.results.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {:<22} {:.3}  {}",
            rank + 1,
            hit.id,
            hit.score,
            hit.name
        )?;
        let why = hit.why.summary();
        if !why.is_empty() {
            writeln!(out, "    {why}")?;
        }
    }
    writeln!(
        out,
        "{} of {} matching datasets ({} mode, {:.1} ms)",
        results.results.len(),
        results.total,
        results.mode.key(),
        results.took_ms
    )?;
    Ok(())
}

pub fn evaluate(
    out: &mut impl Write,
    engine: &SearchEngine,
    path: &Path,
    mode: Option<Mode>,
    json: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // The CLI prints the chain, so this reads "<path>: line N: ..." with the typed error as cause.
    let judged = eval::parse_judged(&text).with_context(|| path.display().to_string())?;
    let modes: Vec<Mode> = mode.map_or(Mode::ALL.to_vec(), |m| vec![m]);
    let mut reports = Vec::new();
    for mode in modes {
        reports.push(eval::evaluate(engine, &judged, mode)?);
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &reports)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} judged queries from {}",
        judged.len(),
        path.display()
    )?;
    writeln!(
        out,
        "{:<9} {:>8} {:>9} {:>7}",
        "mode", "nDCG@10", "Recall@5", "MRR"
    )?;
    for r in &reports {
        writeln!(
            out,
            "{:<9} {:>8.3} {:>9.3} {:>7.3}",
            r.mode.key(),
            r.ndcg_at_10,
            r.recall_at_5,
            r.mrr
        )?;
    }
    for r in &reports {
        writeln!(out, "\nweakest queries ({}):", r.mode.key())?;
        for q in r.weakest(5) {
            writeln!(
                out,
                "  {:.3}  {:<40} top: {}",
                q.ndcg_at_10,
                q.query,
                q.top.join(", ")
            )?;
        }
        if !r.unknown_ids.is_empty() {
            writeln!(
                out,
                "  {} judged id(s) not in the catalogue, dropped from their queries' judgements: {}",
                r.unknown_ids.len(),
                r.unknown_ids.join(", ")
            )?;
        }
    }
    Ok(())
}
