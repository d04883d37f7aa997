//! `medatlas new --doi DOI | --bibtex FILE|-`: a draft entry from a paper's record, written to the
//! user catalogue folder (or `--into DIR`) after the suggested facet values are confirmed (at a
//! terminal) or accepted (`--yes`, or without a terminal). A DOI the catalogue already cites is
//! reported with that entry's id and exit code 4, and nothing is written.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use medatlas::catalogue::draft;
use medatlas::catalogue::{Catalogue, VocabName};
use medatlas::doi::{self, DoiClient, FetchOptions, Record};

/// The exit code for a DOI the catalogue already has.
pub const EXIT_DUPLICATE: u8 = 4;

pub struct Request {
    pub doi: Option<String>,
    pub bibtex: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub into: Option<PathBuf>,
    pub yes: bool,
    pub json: bool,
}

/// The client's options: the user's (contact address, cache), with the services' addresses
/// from `MEDATLAS_DOI_BASE`, `MEDATLAS_CROSSREF_BASE` and `MEDATLAS_DATACITE_BASE` when set.
fn fetch_options() -> FetchOptions {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    FetchOptions {
        doi_base: env("MEDATLAS_DOI_BASE", doi::DOI_BASE),
        crossref_base: env("MEDATLAS_CROSSREF_BASE", doi::CROSSREF_BASE),
        datacite_base: env("MEDATLAS_DATACITE_BASE", doi::DATACITE_BASE),
        ..FetchOptions::for_user()
    }
}

fn ask(question: &str) -> anyhow::Result<String> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

pub fn run(
    out: &mut impl Write,
    catalogue: &Catalogue,
    request: Request,
) -> anyhow::Result<ExitCode> {
    let terminal = std::io::stdin().is_terminal();
    let record: Record = match (&request.doi, &request.bibtex) {
        (Some(input), None) => {
            let bare = doi::normalise(input)?;
            if let Some(id) = catalogue.cited_by(&bare).map(|e| &e.id) {
                eprintln!(
                    "error: {bare} is already in the catalogue, cited by \"{id}\" (medatlas show {id})"
                );
                return Ok(ExitCode::from(EXIT_DUPLICATE));
            }
            DoiClient::new(fetch_options())?.fetch(&bare)?
        }
        (None, Some(path)) => {
            if path == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                Record::from_bibtex(&text, "BibTeX entry given on standard input")?
            } else {
                Record::from_bibtex_file(std::path::Path::new(path))?
            }
        }
        _ => bail!("give --doi DOI or --bibtex FILE (or - for standard input)"),
    };
    if let Some(bare) = &record.doi
        && let Some(id) = catalogue.cited_by(bare).map(|e| &e.id)
    {
        eprintln!(
            "error: {bare} is already in the catalogue, cited by \"{id}\" (medatlas show {id})"
        );
        return Ok(ExitCode::from(EXIT_DUPLICATE));
    }
    // A paper's title is not a dataset's name: "Name: what it is", else ask, else --name.
    let name = match request
        .name
        .clone()
        .or_else(|| draft::name_from_title(&record.title))
    {
        Some(name) => name,
        None if terminal && !request.yes => {
            let answer = ask(&format!("Title: {}\nThe dataset's name: ", record.title))?;
            if answer.is_empty() {
                bail!("a dataset needs a name");
            }
            answer
        }
        None => bail!(
            "the title \"{}\" does not name the dataset: give its name with --name",
            record.title
        ),
    };
    let id = request.id.clone().unwrap_or_else(|| draft::slug(&name));
    if catalogue.get(&id).is_some() {
        bail!("the id \"{id}\" is taken; choose another with --id");
    }
    let (mut suggestions, warning) =
        draft::suggest_all(&record.suggestion_text(), &catalogue.vocabulary);
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    if terminal && !request.yes && !request.json {
        let mut kept = Vec::new();
        for s in suggestions {
            let label = catalogue.vocabulary.label(s.vocab, &s.value);
            let answer = ask(&format!(
                "{} {label} (from \"{}\")? [Y/n] ",
                noun(s.vocab),
                s.matched
            ))?;
            if !answer.eq_ignore_ascii_case("n") && !answer.eq_ignore_ascii_case("no") {
                kept.push(s);
            }
        }
        suggestions = kept;
    }
    let input = record
        .draft_input(&id, &name, &medatlas::cite::Date::today().iso())
        .context("the record has no DOI and no web address: the draft needs a homepage")?;
    let entry = draft::draft(&input, &catalogue.vocabulary, &suggestions);
    if request.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&entry)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = draft::to_toml(&entry)?;
    let file = format!("{id}.toml");
    if let Err(problems) = medatlas::catalogue::validate::parse_entry(
        &file,
        text.as_bytes(),
        &id,
        &catalogue.vocabulary,
    ) {
        for p in &problems {
            eprintln!("{p}");
        }
        bail!("the draft did not validate; nothing was written");
    }
    let folder = match request.into.clone() {
        Some(dir) => dir,
        None => medatlas::catalogue::default_user_dir()
            .context("this platform has no user catalogue folder: give --into DIR")?,
    };
    let path = folder.join(&file);
    if path.exists() {
        bail!("{} exists; choose another --id", path.display());
    }
    medatlas::shortlist::write_atomically(&path, text.as_bytes())?;
    writeln!(out, "wrote {} (a draft)", path.display())?;
    writeln!(
        out,
        "to do: check access, licence and usage terms, confirm the facets ({}), then remove `draft = true`",
        entry.unverified.join(", ")
    )?;
    Ok(ExitCode::SUCCESS)
}

fn noun(v: VocabName) -> &'static str {
    match v {
        VocabName::Modalities => "Modality",
        VocabName::BodyParts => "Body part",
        VocabName::Species => "Species",
        VocabName::Tasks => "Task",
        _ => "Value",
    }
}
