//! `medatlas cite` and `medatlas export`: citations and filtered lists in reference-manager and
//! spreadsheet formats.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args as ClapArgs, ValueEnum};
use medatlas::catalogue::facets::{self, FacetKind, Selection};
use medatlas::catalogue::{Catalogue, Entry, VocabName};
use medatlas::cite::{Citer, Format};

/// Facet filters shared by the commands that select entries (OR within a facet, AND across).
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct FilterArgs {
    /// Modality (DICOM code such as MR, or a synonym such as MRI); repeatable.
    #[arg(long = "modality", value_name = "X")]
    pub modalities: Vec<String>,
    /// Body part, e.g. brain; repeatable.
    #[arg(long = "body-part", value_name = "X")]
    pub body_parts: Vec<String>,
    /// Access level: open, registration, application, restricted, unavailable; repeatable.
    #[arg(long = "access", value_name = "X")]
    pub access: Vec<String>,
    /// Priority tier 1, 2, 3 or `none`; repeatable.
    #[arg(long = "tier", value_name = "N")]
    pub tiers: Vec<String>,
    /// Species, e.g. human; repeatable.
    #[arg(long = "species", value_name = "X")]
    pub species: Vec<String>,
    /// Task, e.g. segmentation; repeatable.
    #[arg(long = "task", value_name = "X")]
    pub tasks: Vec<String>,
}

impl FilterArgs {
    /// The selection these flags describe; unknown values are an error naming the accepted ones.
    pub fn selection(&self, catalogue: &Catalogue) -> anyhow::Result<Selection> {
        let mut selection = Selection::default();
        for (facet, values) in [
            (FacetKind::Modality, &self.modalities),
            (FacetKind::BodyPart, &self.body_parts),
            (FacetKind::Access, &self.access),
            (FacetKind::Tier, &self.tiers),
            (FacetKind::Species, &self.species),
            (FacetKind::Task, &self.tasks),
        ] {
            for value in values {
                let key = facets::resolve_value(facet, value, &catalogue.vocabulary)?;
                selection.insert(facet, key);
            }
        }
        Ok(selection)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiteFormat {
    Apa,
    Vancouver,
    Bibtex,
    Ris,
    CslJson,
}

impl From<CiteFormat> for Format {
    fn from(f: CiteFormat) -> Self {
        match f {
            CiteFormat::Apa => Format::Apa,
            CiteFormat::Vancouver => Format::Vancouver,
            CiteFormat::Bibtex => Format::Bibtex,
            CiteFormat::Ris => Format::Ris,
            CiteFormat::CslJson => Format::CslJson,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Markdown,
    Bibtex,
    Ris,
    CslJson,
}

pub fn cite(
    out: &mut impl Write,
    catalogue: &Catalogue,
    ids: &[String],
    format: CiteFormat,
) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    for id in ids {
        let Some(entry) = catalogue.get(id) else {
            let suggestions = catalogue.suggest(id);
            let hint = if suggestions.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", suggestions.join(", "))
            };
            bail!("no dataset with id \"{id}\"{hint}");
        };
        entries.push(entry);
    }
    let citer = Citer::new(catalogue);
    let rendered = citer.document(&entries, format.into());
    out.write_all(rendered.text.as_bytes())?;
    for id in &rendered.uncited {
        let reason = catalogue
            .get(id)
            .and_then(|e| e.no_citation.as_deref())
            .unwrap_or("no reason given");
        eprintln!("note: {id} has no known citation ({reason})");
    }
    Ok(())
}

pub fn export(
    catalogue: &Catalogue,
    filters: &FilterArgs,
    format: ExportFormat,
    output: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let selection = filters.selection(catalogue)?;
    let entries: Vec<&Entry> = catalogue
        .entries
        .iter()
        .filter(|e| selection.matches(e))
        .collect();
    let citer = Citer::new(catalogue);
    let text = match format {
        ExportFormat::Csv => csv_text(catalogue, &citer, &entries)?,
        ExportFormat::Markdown => markdown_text(catalogue, &citer, &entries),
        ExportFormat::Bibtex => citer.document(&entries, Format::Bibtex).text,
        ExportFormat::Ris => citer.document(&entries, Format::Ris).text,
        ExportFormat::CslJson => citer.document(&entries, Format::CslJson).text,
    };
    match output {
        Some(path) => {
            write_atomically(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} datasets to {}", entries.len(), path.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Writes next to the target and renames, so an interrupted export never leaves a half file.
fn write_atomically(path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("medatlas-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn labels(catalogue: &Catalogue, name: VocabName, keys: &[String]) -> String {
    keys.iter()
        .map(|k| catalogue.vocabulary.label(name, k))
        .collect::<Vec<_>>()
        .join("; ")
}

fn csv_text(catalogue: &Catalogue, citer: &Citer, entries: &[&Entry]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "id",
        "name",
        "short_name",
        "tier",
        "domain",
        "modalities",
        "body_parts",
        "species",
        "tasks",
        "access",
        "access_how",
        "licence",
        "licence_url",
        "usage_terms",
        "size",
        "file_formats",
        "status",
        "homepage",
        "links",
        "dois",
        "citation_apa",
        "unverified",
    ])?;
    for e in entries {
        let size = e.size.as_ref().map(|s| s.summary()).unwrap_or_default();
        let links = e
            .links
            .iter()
            .map(|l| format!("{}: {}", l.kind, l.url))
            .collect::<Vec<_>>()
            .join(" | ");
        let dois = e
            .citations
            .iter()
            .filter_map(|c| c.doi.as_deref())
            .collect::<Vec<_>>()
            .join(" ");
        let apa = citer
            .document(&[e], Format::Apa)
            .text
            .trim()
            .replace("\n\n", " | ");
        writer.write_record([
            e.id.as_str(),
            &e.name,
            &e.short_name,
            &e.tier.map(|t| t.to_string()).unwrap_or_default(),
            catalogue.vocabulary.label(VocabName::Domains, &e.domain),
            &labels(catalogue, VocabName::Modalities, &e.modalities),
            &labels(catalogue, VocabName::BodyParts, &e.body_parts),
            &labels(catalogue, VocabName::Species, &e.species),
            &labels(catalogue, VocabName::Tasks, &e.tasks),
            catalogue
                .vocabulary
                .label(VocabName::AccessLevels, &e.access.level),
            &e.access.how,
            e.licence.label(),
            e.licence.url.as_deref().unwrap_or(""),
            e.licence.terms.as_deref().unwrap_or(""),
            &size,
            &e.file_formats.join("; "),
            &e.status,
            &e.homepage,
            &links,
            &dois,
            &apa,
            &e.unverified.join("; "),
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Markdown table cells may not hold `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown_text(catalogue: &Catalogue, citer: &Citer, entries: &[&Entry]) -> String {
    let mut out = String::from("# Medical imaging datasets\n\n");
    out.push_str(&format!(
        "{} datasets, exported from MedAtlas {}.\n\n",
        entries.len(),
        medatlas::VERSION
    ));
    out.push_str("| Dataset | Modalities | Body parts | Access | Licence | Tier |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for e in entries {
        out.push_str(&format!(
            "| [{}]({}) | {} | {} | {} | {} | {} |\n",
            cell(&e.name),
            e.homepage,
            cell(&labels(catalogue, VocabName::Modalities, &e.modalities)),
            cell(&labels(catalogue, VocabName::BodyParts, &e.body_parts)),
            cell(
                catalogue
                    .vocabulary
                    .label(VocabName::AccessLevels, &e.access.level)
            ),
            cell(e.licence.label()),
            e.tier.map_or("–".to_owned(), |t| t.to_string()),
        ));
    }
    out.push_str("\n## References\n\n");
    for e in entries {
        out.push_str(&format!("### {}\n\n", e.name));
        out.push_str(&e.summary);
        out.push_str("\n\n");
        for reference in citer.document(&[e], Format::Apa).text.trim().split("\n\n") {
            out.push_str(&format!("- {reference}\n"));
        }
        out.push('\n');
    }
    out
}
