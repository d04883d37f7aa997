//! The command line: argument parsing and the subcommands, each a thin wrapper over the library.
//!
//! Human output goes to stdout, problems and warnings to stderr. `--json` output is a stable
//! contract documented in the README: field names are those of the catalogue files.

mod export;
mod links;
mod new;
mod search;
mod shortlists;
mod zotero;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use medatlas::catalogue::facets::{self, FacetKind};
use medatlas::catalogue::{Catalogue, CatalogueError, Entry, VocabName};
use medatlas::engine::{EmbedderChoice, Sources};

#[derive(Debug, Parser)]
#[command(
    name = "medatlas",
    version,
    about = "A knowledge browser for medical imaging datasets.",
    long_about = "A knowledge browser for medical imaging datasets. Without a subcommand it opens the \
                  desktop window; the subcommands below work in the terminal."
)]
pub struct Args {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct GlobalArgs {
    /// Also load catalogue entries from this folder (repeatable). An entry with a bundled id
    /// overrides the bundled one.
    #[arg(long = "catalogue", value_name = "DIR", global = true)]
    pub catalogue_dirs: Vec<PathBuf>,
    /// The search store file (a cache; default: the user's cache folder). `:memory:` keeps it in
    /// memory.
    #[arg(long = "store", value_name = "PATH", global = true)]
    pub store: Option<PathBuf>,
}

impl GlobalArgs {
    /// Where the catalogue and the store come from.
    pub fn sources(&self) -> Sources {
        Sources {
            catalogue_dirs: self.catalogue_dirs.clone(),
            store: self.store.clone(),
        }
    }

    /// Bundled entries, the platform's user catalogue folder, then `--catalogue` folders.
    pub fn load_catalogue(&self) -> Result<Catalogue, CatalogueError> {
        self.sources().load_catalogue()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every dataset in the catalogue.
    List {
        /// Print a JSON array of full entries.
        #[arg(long)]
        json: bool,
    },
    /// Show one dataset in full.
    Show {
        /// The dataset's id, e.g. `adni`.
        id: String,
        /// Print the entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check catalogue files: the bundled and user catalogue, or the given folders.
    Validate {
        /// Folders to check on their own (each with its own vocabulary.toml if it has one).
        dirs: Vec<PathBuf>,
    },
    /// Facet values with their counts.
    Facets {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the citations of one or more datasets (several ids give one importable file).
    Cite {
        /// Dataset ids, e.g. `adni tcia`.
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, value_enum, default_value = "apa")]
        format: export::CiteFormat,
    },
    /// Search the catalogue (hybrid semantic + keyword by default).
    Search {
        /// What you are looking for, e.g. "brain MRI of Alzheimer's disease".
        query: String,
        #[command(flatten)]
        filters: export::FilterArgs,
        /// At most this many results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, value_enum, default_value = "hybrid")]
        mode: SearchMode,
        #[command(flatten)]
        embedder: EmbedderArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure search quality on judged queries (nDCG@10, Recall@5, MRR).
    Eval {
        /// A TSV file: query, tab, `id:grade,id:grade` (2 = looked for, 1 = also relevant).
        /// Default: your own judged queries, `queries.tsv` in the user data folder.
        queries: Option<PathBuf>,
        /// Evaluate one mode (default: all three).
        #[arg(long, value_enum)]
        mode: Option<SearchMode>,
        #[command(flatten)]
        embedder: EmbedderArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the (filtered) list of datasets as CSV, Markdown, BibTeX, RIS or CSL-JSON.
    Export {
        #[command(flatten)]
        filters: export::FilterArgs,
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check the links of the given datasets (all when none is given) and remember the results.
    CheckLinks {
        /// Dataset ids, e.g. `adni mias`.
        ids: Vec<String>,
        /// Print a JSON array with one result per link.
        #[arg(long)]
        json: bool,
        /// At most this many requests at once (each host still gets one at a time).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
        /// Give up on a request after this many seconds.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout_secs: u64,
    },
    /// Named shortlists of datasets (one per paper or project), kept in the user data folder.
    Shortlist {
        #[command(subcommand)]
        command: shortlists::ShortlistCommand,
    },
    /// Datasets side by side: 2 to 6 ids, or the datasets of a shortlist.
    Compare {
        ids: Vec<String>,
        /// Compare the datasets of this shortlist.
        #[arg(long, value_name = "NAME")]
        shortlist: Option<String>,
        /// Print JSON: the ids, names and rows (field, label, values, differs).
        #[arg(long, conflicts_with_all = ["csv", "markdown"])]
        json: bool,
        /// Print CSV (a row per field, a column per dataset).
        #[arg(long, conflicts_with = "markdown")]
        csv: bool,
        /// Print a Markdown table (rows that differ in bold).
        #[arg(long)]
        markdown: bool,
    },
    /// The write-up kit for a shortlist or datasets: references, acknowledgements, a data
    /// availability statement and a terms checklist, from the catalogue only.
    Writeup {
        /// A shortlist's name, or dataset ids.
        targets: Vec<String>,
        /// The shortlist (when its name is also a dataset id).
        #[arg(long, value_name = "NAME")]
        shortlist: Option<String>,
        /// Citation style of the references.
        #[arg(long, value_enum, default_value = "apa")]
        style: export::CiteFormat,
        #[arg(long, value_enum, default_value = "markdown")]
        format: shortlists::WriteupFormat,
    },
    /// Save every citation of the given datasets (or of a shortlist's datasets) in the running
    /// Zotero desktop, tagged `medatlas`. Zotero's address: MEDATLAS_ZOTERO_URL, else
    /// http://127.0.0.1:23119. Exit code 3 when Zotero is not running or not answering.
    Zotero {
        /// Dataset ids, e.g. `lidc-idri kits19`.
        ids: Vec<String>,
        /// Send the datasets of this shortlist (its name becomes a tag too).
        #[arg(long, value_name = "NAME")]
        shortlist: Option<String>,
        /// The Zotero collection or library, by name or id (`C12`, `L1`); default: the one
        /// selected in Zotero.
        #[arg(long, value_name = "NAME|ID")]
        collection: Option<String>,
        /// Send citations already sent to that collection again.
        #[arg(long)]
        again: bool,
        /// Print a JSON report: zotero_version, collection, tags, sent, skipped, uncited.
        #[arg(long)]
        json: bool,
    },
    /// Draft an entry for a dataset from its paper's DOI or a BibTeX entry, into your user
    /// catalogue folder (exit code 4 when the catalogue already cites that DOI).
    New {
        /// The DOI: 10.…, doi:10.…, https://doi.org/10.… or http://dx.doi.org/10.…
        #[arg(long, conflicts_with = "bibtex")]
        doi: Option<String>,
        /// A file with one BibTeX entry, or - for standard input.
        #[arg(long, value_name = "FILE")]
        bibtex: Option<String>,
        /// The entry's id (default: from the name).
        #[arg(long)]
        id: Option<String>,
        /// The dataset's name (required without a terminal when the title does not start
        /// with "Name:").
        #[arg(long)]
        name: Option<String>,
        /// The folder to write into (default: your user catalogue folder).
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Accept every suggested facet value without asking.
        #[arg(long)]
        yes: bool,
        /// Print the draft as JSON instead of writing it.
        #[arg(long)]
        json: bool,
    },
    /// Show or change your settings: `config show`, `config set contact-email ADDRESS` (given to
    /// metadata services such as Crossref with each request), `config unset contact-email`.
    Config {
        /// `show`, `set` or `unset`.
        action: String,
        /// The setting: `contact-email`.
        key: Option<String>,
        /// The value, for `set`.
        value: Option<String>,
    },
    /// Compute the bundled catalogue's vectors with the embedded model and write them to FILE: the
    /// asset shipped in the program (`assets/vectors/minilm.bin`), regenerated after catalogue edits.
    BundleVectors {
        /// Where to write the vectors, e.g. `assets/vectors/minilm.bin`.
        file: PathBuf,
    },
}

/// Which embedder semantic search uses.
#[derive(Debug, Clone, ClapArgs)]
pub struct EmbedderArgs {
    /// `minilm`: the embedded model. `remote`: an OpenAI-compatible service set by
    /// MEDATLAS_EMBED_URL and MEDATLAS_EMBED_MODEL (key: MEDATLAS_EMBED_API_KEY or a private file
    /// named by MEDATLAS_EMBED_API_KEY_FILE; MEDATLAS_EMBED_DIM optional); if the service cannot be
    /// used, the embedded model stands in and a warning says why.
    #[arg(long = "embedder", value_enum, default_value = "minilm")]
    pub kind: EmbedderKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmbedderKind {
    Minilm,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchMode {
    Hybrid,
    Keyword,
    Semantic,
}

impl From<SearchMode> for medatlas::search::Mode {
    fn from(m: SearchMode) -> Self {
        match m {
            SearchMode::Hybrid => medatlas::search::Mode::Hybrid,
            SearchMode::Keyword => medatlas::search::Mode::Keyword,
            SearchMode::Semantic => medatlas::search::Mode::Semantic,
        }
    }
}

/// Runs one subcommand and maps its outcome to the process exit code.
pub fn run(global: &GlobalArgs, command: Command) -> ExitCode {
    match dispatch(global, command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    if let Command::Validate { dirs } = &command {
        return validate(global, dirs);
    }
    if let Command::BundleVectors { file } = &command {
        return bundle_vectors(file);
    }
    if let Command::Config { action, key, value } = &command {
        return config(action, key.as_deref(), value.as_deref());
    }
    let catalogue = global.load_catalogue()?;
    warn_problems(&catalogue);
    let mut out = std::io::stdout().lock();
    match command {
        Command::List { json } => list(&mut out, &catalogue, json)?,
        Command::Show { id, json } => {
            let Some(entry) = catalogue.get(&id) else {
                let suggestions = catalogue.suggest(&id);
                eprintln!("error: no dataset with id \"{id}\"");
                if !suggestions.is_empty() {
                    eprintln!("    help: did you mean {}?", suggestions.join(", "));
                }
                eprintln!("    help: `medatlas list` shows every id");
                return Ok(ExitCode::from(2));
            };
            show(&mut out, &catalogue, entry, json)?;
        }
        Command::Facets { json } => facets_cmd(&mut out, &catalogue, json)?,
        Command::Cite { ids, format } => export::cite(&mut out, &catalogue, &ids, format)?,
        Command::Export {
            filters,
            format,
            output,
        } => export::export(&catalogue, &filters, format, output.as_ref())?,
        Command::Search {
            query,
            filters,
            limit,
            mode,
            embedder,
            json,
        } => {
            let query = medatlas::search::Query {
                text: query,
                mode: mode.into(),
                selection: filters.selection(&catalogue)?,
                limit: Some(limit),
                prefix_last: false,
            };
            let choice = if query.mode == medatlas::search::Mode::Keyword {
                EmbedderChoice::None
            } else {
                search::embedder_choice(&embedder)?
            };
            let engine = search::engine(&catalogue, global, &choice)?;
            search::search(&mut out, &engine, &query, json)?;
        }
        Command::Eval {
            queries,
            mode,
            embedder,
            json,
        } => {
            let queries = match queries {
                Some(path) => path,
                None => user_queries_file()?,
            };
            let engine = search::engine(&catalogue, global, &search::embedder_choice(&embedder)?)?;
            search::evaluate(&mut out, &engine, &queries, mode.map(Into::into), json)?;
        }
        Command::CheckLinks {
            ids,
            json,
            concurrency,
            timeout_secs,
        } => {
            let request = links::Request {
                ids: &ids,
                json,
                concurrency: usize::from(concurrency),
                timeout_secs,
            };
            return links::check_links(&mut out, global, &catalogue, &request);
        }
        Command::New {
            doi,
            bibtex,
            id,
            name,
            into,
            yes,
            json,
        } => {
            return new::run(
                &mut out,
                &catalogue,
                new::Request {
                    doi,
                    bibtex,
                    id,
                    name,
                    into,
                    yes,
                    json,
                },
            );
        }
        Command::Shortlist { command } => shortlists::run(&mut out, &catalogue, command)?,
        Command::Writeup {
            targets,
            shortlist,
            style,
            format,
        } => shortlists::writeup(
            &mut out,
            &catalogue,
            targets,
            shortlist,
            style.into(),
            format,
        )?,
        Command::Compare {
            ids,
            shortlist,
            json,
            csv,
            markdown,
        } => {
            let format = match (json, csv, markdown) {
                (true, _, _) => shortlists::CompareFormat::Json,
                (_, true, _) => shortlists::CompareFormat::Csv,
                (_, _, true) => shortlists::CompareFormat::Markdown,
                _ => shortlists::CompareFormat::Table,
            };
            shortlists::compare(&mut out, &catalogue, ids, shortlist, format)?;
        }
        Command::Zotero {
            ids,
            shortlist,
            collection,
            again,
            json,
        } => {
            let request = zotero::Request {
                ids: &ids,
                shortlist: shortlist.as_deref(),
                collection: collection.as_deref(),
                again,
                json,
            };
            let code = zotero::send(&mut out, &catalogue, &request)?;
            out.flush()?;
            return Ok(code);
        }
        Command::Validate { .. } | Command::BundleVectors { .. } | Command::Config { .. } => {
            unreachable!("handled above")
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Broken user files never stop a command: they are reported on stderr and skipped.
fn warn_problems(catalogue: &Catalogue) {
    if catalogue.problems.is_empty() {
        return;
    }
    eprintln!(
        "warning: {} catalogue problem(s); the affected files were skipped:",
        catalogue.problems.len()
    );
    for problem in &catalogue.problems {
        eprintln!("{problem}");
    }
}

/// `queries.tsv` in the user data folder: the user's own judged queries.
fn user_queries_file() -> anyhow::Result<PathBuf> {
    let path = medatlas::user_queries_file().ok_or_else(|| {
        anyhow::anyhow!("this platform has no user data folder; give a queries file")
    })?;
    if !path.exists() {
        anyhow::bail!(
            "no queries file given, and {} does not exist: write one (a line per query: the query, a \
             tab, then id:grade,id:grade with 2 = what you look for, 1 = also relevant) or give a file",
            path.display()
        );
    }
    Ok(path)
}

/// `medatlas config`: shows or changes the user's settings file.
fn config(action: &str, key: Option<&str>, value: Option<&str>) -> anyhow::Result<ExitCode> {
    use medatlas::config::ConfigFile;
    let file = ConfigFile::default_location()
        .ok_or_else(|| anyhow::anyhow!("this platform has no configuration folder"))?;
    let mut config = file.load()?;
    match (action, key, value) {
        ("show", None, None) => {
            println!("{}", file.path.display());
            println!(
                "contact-email = {}",
                config.contact_email.as_deref().unwrap_or("(not set)")
            );
            return Ok(ExitCode::SUCCESS);
        }
        ("set", Some(key), Some(value)) => config.set(key, value)?,
        ("unset", Some(key), None) => config.unset(key)?,
        _ => anyhow::bail!(
            "usage: medatlas config show | config set contact-email ADDRESS | config unset contact-email"
        ),
    }
    file.save(&config)?;
    println!("saved {}", file.path.display());
    Ok(ExitCode::SUCCESS)
}

/// Embeds the bundled entries only (never a user's) and writes the shipped-vectors asset.
fn bundle_vectors(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let catalogue = Catalogue::bundled()?;
    if !catalogue.problems.is_empty() {
        for problem in &catalogue.problems {
            eprintln!("{problem}");
        }
        anyhow::bail!("the bundled catalogue has problems: fix them before shipping its vectors");
    }
    let model = medatlas::embed::MiniLm::load()?;
    let started = std::time::Instant::now();
    let shipped = medatlas::search::shipped::compute(&catalogue.entries, &model, |done, of| {
        eprint!("\rembedding {done}/{of}");
    })?;
    eprintln!();
    export::write_atomically(file, &shipped.to_bytes())
        .map_err(|e| anyhow::anyhow!("could not write {}: {e}", file.display()))?;
    println!(
        "{}: {} vectors of {} ({} dimensions) in {:.1} s",
        file.display(),
        shipped.len(),
        shipped.model,
        shipped.dimension,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn validate(global: &GlobalArgs, dirs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut problems = 0;
    let mut checked = Vec::new();
    if dirs.is_empty() {
        let catalogue = global.load_catalogue()?;
        for problem in &catalogue.problems {
            eprintln!("{problem}");
        }
        problems += catalogue.problems.len();
        checked.push((
            "the bundled and user catalogue".to_owned(),
            catalogue.files_read,
            catalogue.entries.len(),
        ));
    } else {
        for dir in dirs {
            let catalogue = Catalogue::validate_dir(dir)?;
            for problem in &catalogue.problems {
                eprintln!("{problem}");
            }
            problems += catalogue.problems.len();
            checked.push((
                dir.display().to_string(),
                catalogue.files_read,
                catalogue.entries.len(),
            ));
        }
    }
    for (what, files, valid) in &checked {
        println!("{what}: {files} file(s) read, {valid} valid entries");
    }
    if problems == 0 {
        println!("ok: no problems");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{problems} problem(s) found");
        Ok(ExitCode::FAILURE)
    }
}

fn list(out: &mut impl Write, catalogue: &Catalogue, json: bool) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, &catalogue.entries)?;
        writeln!(out)?;
        return Ok(());
    }
    let id_width = catalogue
        .entries
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(2);
    writeln!(
        out,
        "{:<id_width$}  TIER  {:<12}  {:<22}  NAME",
        "ID", "ACCESS", "MODALITIES"
    )?;
    for e in &catalogue.entries {
        let tier = e.tier.map_or("-".to_owned(), |t| t.to_string());
        let user = match (e.origin.is_user(), e.draft) {
            (true, true) => " [user, draft]",
            (true, false) => " [user]",
            (false, true) => " [draft]",
            (false, false) => "",
        };
        writeln!(
            out,
            "{:<id_width$}  {:<4}  {:<12}  {:<22}  {}{user}",
            e.id,
            tier,
            e.access.level,
            truncate(&e.modalities.join(","), 22),
            e.name
        )?;
    }
    writeln!(out, "{} datasets", catalogue.entries.len())?;
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn show(out: &mut impl Write, catalogue: &Catalogue, e: &Entry, json: bool) -> anyhow::Result<()> {
    if json {
        let mut doc = serde_json::to_value(e)?;
        if let Some(object) = doc.as_object_mut() {
            object.insert("codes".to_owned(), codes_of(catalogue, e)?);
        }
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    let v = &catalogue.vocabulary;
    let flag = |field: &str| {
        if e.is_unverified(field) {
            " (unverified)"
        } else {
            ""
        }
    };
    writeln!(out, "{} ({})", e.name, e.short_name)?;
    writeln!(
        out,
        "id: {}{}",
        e.id,
        if e.origin.is_user() {
            "  [user entry]"
        } else {
            ""
        }
    )?;
    if e.draft {
        writeln!(
            out,
            "DRAFT: its suggested facts are unverified until you confirm them"
        )?;
    }
    writeln!(out, "{}", e.summary)?;
    writeln!(out)?;
    writeln!(out, "{}", e.description)?;
    writeln!(out)?;
    for row in medatlas::catalogue::describe::characteristics(e, v) {
        if row.field == "acknowledgement" {
            continue; // printed below with its source
        }
        writeln!(out, "{:>16}: {}{}", row.label, row.value, flag(row.field))?;
    }
    if let Some(ack) = &e.acknowledgement {
        writeln!(
            out,
            "{:>16}: \"{}\" (source: {})",
            "Acknowledge", ack.text, ack.source
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Links:")?;
    let homepage_status = e
        .homepage_link()
        .and_then(|l| l.status.as_deref())
        .filter(|s| *s != "current")
        .map(|s| format!(" [{}]", v.label(VocabName::LinkStatuses, s)))
        .unwrap_or_default();
    writeln!(
        out,
        "  homepage: {}{homepage_status}{}",
        e.homepage,
        flag("homepage")
    )?;
    for link in e.other_links() {
        let status = link
            .status
            .as_deref()
            .filter(|s| *s != "current")
            .map(|s| format!(" [{}]", v.label(VocabName::LinkStatuses, s)))
            .unwrap_or_default();
        let label = link
            .label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        writeln!(out, "  {}: {}{label}{status}", link.kind, link.url)?;
    }
    writeln!(out)?;
    writeln!(out, "Citations:")?;
    if let Some(reason) = &e.no_citation {
        writeln!(out, "  no citation known: {reason}")?;
    }
    for c in &e.citations {
        let doi = c
            .doi
            .as_deref()
            .map(|d| format!(" https://doi.org/{d}"))
            .unwrap_or_default();
        let role = if c.required {
            format!("{}, required", c.role)
        } else {
            c.role.clone()
        };
        let authors = if c.authors.is_empty() {
            String::new()
        } else {
            format!("{} ", c.authors.join("; "))
        };
        let year = c.year.map_or_else(|| "n.d.".to_owned(), |y| y.to_string());
        writeln!(
            out,
            "  [{role}] {authors}({year}). {}. {}.{doi}",
            c.title,
            c.container.as_deref().unwrap_or("")
        )?;
    }
    if !e.unverified.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not verified: {}", e.unverified.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "Sources:")?;
    for s in &e.sources {
        writeln!(out, "  [{}] {} ({})", s.kind, s.url, s.supports.join(", "))?;
    }
    Ok(())
}

/// The standard codes of an entry's facet values, by facet then value:
/// `{"body_parts": {"brain": [{"system": "SNOMED CT", "code": "12738006", …}]}}`.
fn codes_of(catalogue: &Catalogue, e: &Entry) -> anyhow::Result<serde_json::Value> {
    let mut by_facet = serde_json::Map::new();
    for facet in FacetKind::ALL {
        let terms = catalogue.vocabulary.terms(facet.vocab());
        let mut by_value = serde_json::Map::new();
        for value in facet.values_of(e) {
            if let Some(term) = terms.get(value).filter(|t| !t.codes.is_empty()) {
                by_value.insert(value.to_owned(), serde_json::to_value(&term.codes)?);
            }
        }
        if !by_value.is_empty() {
            by_facet.insert(facet.key().to_owned(), by_value.into());
        }
    }
    Ok(by_facet.into())
}

fn facets_cmd(out: &mut impl Write, catalogue: &Catalogue, json: bool) -> anyhow::Result<()> {
    let all: Vec<_> = FacetKind::ALL
        .iter()
        .map(|&f| facets::count(f, &catalogue.entries, &catalogue.vocabulary))
        .collect();
    if json {
        let mut map = serde_json::Map::new();
        for counts in &all {
            let mut values = serde_json::to_value(&counts.values)?;
            // Each value with standard codes carries them (SNOMED CT, NCBI Taxonomy…).
            let terms = catalogue.vocabulary.terms(counts.facet.vocab());
            for value in values.as_array_mut().into_iter().flatten() {
                let codes = value["value"]
                    .as_str()
                    .and_then(|v| terms.get(v))
                    .map(|t| &t.codes)
                    .filter(|c| !c.is_empty());
                if let (Some(codes), Some(object)) = (codes, value.as_object_mut()) {
                    object.insert("codes".to_owned(), serde_json::to_value(codes)?);
                }
            }
            map.insert(counts.facet.key().to_owned(), values);
        }
        let doc = serde_json::json!({ "total": catalogue.entries.len(), "facets": map });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{} datasets", catalogue.entries.len())?;
    for counts in &all {
        writeln!(out)?;
        writeln!(out, "{} ({}):", counts.label, counts.facet.key())?;
        for v in counts.values.iter().filter(|v| v.count > 0) {
            writeln!(out, "  {:>4}  {:<24} {}", v.count, v.value, v.label)?;
        }
    }
    Ok(())
}
