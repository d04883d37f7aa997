//! `medatlas search` and `medatlas eval`: the search engine from the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use medatlas::catalogue::Catalogue;
use medatlas::embed::{CachedEmbedder, Embedder, MiniLm};
use medatlas::search::eval;
use medatlas::search::{Mode, Query, SearchEngine};
use medatlas::store::{Location, Store};

/// Where the store lives: `--store PATH`, `--store :memory:`, or the user's cache folder.
pub fn store_location(store: Option<&Path>) -> Location {
    match store {
        Some(p) if p.as_os_str() == ":memory:" => Location::Memory,
        Some(p) => Location::File(p.to_owned()),
        None => Location::default_file().unwrap_or(Location::Memory),
    }
}

/// Opens the store and indexes what changed. With `semantic`, also loads the embedded model and
/// computes missing vectors, reporting progress on stderr; keyword-only searches skip both.
pub fn engine(
    catalogue: &Catalogue,
    store: Option<&PathBuf>,
    semantic: bool,
) -> anyhow::Result<SearchEngine> {
    let embedder: Option<Arc<dyn Embedder>> = if semantic {
        let model = MiniLm::load().context("loading the embedded model")?;
        Some(Arc::new(CachedEmbedder::new(model, 64)))
    } else {
        None
    };
    let store = Store::open(
        &store_location(store.map(PathBuf::as_path)),
        medatlas::embed::MINILM_ID,
        medatlas::embed::MINILM_DIM,
    )?;
    for warning in &store.warnings {
        eprintln!("warning: {warning}");
    }
    let mut engine = SearchEngine::new(&catalogue.entries, &catalogue.vocabulary, store, embedder)?;
    let pending = engine.pending_embeddings()?.len();
    if pending > 0 && semantic {
        eprintln!(
            "indexing {pending} entries for semantic search (once; later runs reuse the vectors)…"
        );
        engine.index_embeddings(|_, _| {})?;
    }
    Ok(engine)
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
                "  warning: judged ids not in the catalogue: {}",
                r.unknown_ids.join(", ")
            )?;
        }
    }
    Ok(())
}
