//! `medatlas cite` and `medatlas export`: citations and filtered lists in reference-manager and
//! spreadsheet formats.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    /// Access level: open, registration, application, credentialed, restricted, unavailable;
    /// repeatable.
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
    /// Commercial use: allowed, not-allowed, with-permission, varies, unknown; repeatable.
    #[arg(long = "commercial-use", value_name = "X")]
    pub commercial_use: Vec<String>,
    /// Licence family: public-domain, attribution, share-alike, non-commercial, no-derivatives,
    /// data-use-agreement, unknown; repeatable.
    #[arg(long = "licence-family", value_name = "X")]
    pub licence_families: Vec<String>,
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
            (FacetKind::CommercialUse, &self.commercial_use),
            (FacetKind::LicenceFamily, &self.licence_families),
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
        eprintln!(
            "note: {id} has no known paper or data DOI ({reason}); it is cited as the resource itself"
        );
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

/// Writes a uniquely named temporary file in the target's folder, flushes it to disk, then renames
/// it onto the target: an interrupted export or a crash never leaves a half-written file behind, and
/// a rename within one folder cannot cross file systems. The temporary file is removed on failure.
/// The caller names the target in its error message.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // A temporary file is created private (0600); an export is an ordinary file, so it gets the
    // mode `std::fs::write` would give it: 0666 less the umask (which `open` applies).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(folder).map_err(without_temp_path)?;
    // Through the plain `File`: `NamedTempFile`'s own `Write` also adds the temporary name to errors.
    let mut file = tmp.as_file();
    file.write_all(bytes)?;
    file.sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `tempfile` appends the random name it tried (` at path "…/.tmpXXXX"`) to a creation error. That
/// file never existed and the user never chose it, so the cause is reported alone, as it was before
/// exports went through a temporary file.
fn without_temp_path(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((cause, _)) if e.get_ref().is_some() => io::Error::new(e.kind(), cause.to_owned()),
        _ => e,
    }
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
        "licence_family",
        "commercial_use",
        "redistribution",
        "checked",
        "codes",
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
            e.licence.family(&catalogue.vocabulary),
            e.terms.as_ref().map_or("", |t| t.commercial_use.as_str()),
            e.terms.as_ref().map_or("", |t| t.redistribution.as_str()),
            e.checked.as_deref().unwrap_or(""),
            &codes(catalogue, e),
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// The standard codes of the entry's facet values: "brain: SNOMED CT 12738006 (Brain); human: NCBI
/// Taxonomy 9606 (Homo sapiens)".
fn codes(catalogue: &Catalogue, e: &Entry) -> String {
    let mut out = Vec::new();
    for facet in FacetKind::ALL {
        let terms = catalogue.vocabulary.terms(facet.vocab());
        for value in facet.values_of(e) {
            if let Some(term) = terms.get(value).filter(|t| !t.codes.is_empty()) {
                out.push(format!("{value}: {}", term.codes_text()));
            }
        }
    }
    out.join(" | ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_target_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("list.csv");
        std::fs::write(&target, "old, longer content").unwrap();
        write_atomically(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["list.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn an_export_gets_the_mode_of_an_ordinary_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ordinary = dir.path().join("ordinary.csv");
        std::fs::write(&ordinary, "x").unwrap();
        let exported = dir.path().join("list.csv");
        write_atomically(&exported, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&exported), mode(&ordinary));
    }

    #[test]
    fn a_failed_write_reports_the_cause_without_the_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing-folder").join("list.csv");
        let err = write_atomically(&target, b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        // As `std::fs::write` would say it, e.g. "No such file or directory (os error 2)".
        #[cfg(unix)]
        assert_eq!(err.to_string(), io::Error::from_raw_os_error(2).to_string());
        assert!(!err.to_string().contains(".tmp"), "{err}");
    }
}
