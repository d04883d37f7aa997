//! Citations of catalogue entries in APA 7, Vancouver (ICMJE/NLM), BibTeX, RIS and CSL-JSON.
//!
//! Every entry's `[[citations]]` render in the order the provider asks for them (data citation, paper,
//! repository paper for TCIA collections). The formatters are written here rather than taken from a
//! CSL engine: the Rust engine with an archive of styles (hayagriva) ships publisher variants of
//! Vancouver rather than the ICMJE one, cannot sentence-case titles (no CSL processor can; see
//! `casing`), and would need a conversion layer from our citation model that is larger than the
//! styles themselves. BibTeX, RIS and CSL-JSON are data formats with no style to apply. Golden files
//! in `tests/data/citations/` pin the output, and the tests parse BibTeX, RIS and CSL-JSON with
//! independent parsers. Nothing here reads files or knows about any front end.

mod apa;
mod bibtex;
pub mod casing;
mod csl_json;
pub mod names;
mod ris;
mod vancouver;

use std::fmt;
use std::str::FromStr;

use crate::catalogue::{Catalogue, Citation, Entry, VocabName};
use casing::Phrase;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Apa,
    Vancouver,
    Bibtex,
    Ris,
    CslJson,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Apa,
        Format::Vancouver,
        Format::Bibtex,
        Format::Ris,
        Format::CslJson,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Format::Apa => "APA",
            Format::Vancouver => "Vancouver",
            Format::Bibtex => "BibTeX",
            Format::Ris => "RIS",
            Format::CslJson => "CSL-JSON",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Format::Apa => "apa",
            Format::Vancouver => "vancouver",
            Format::Bibtex => "bibtex",
            Format::Ris => "ris",
            Format::CslJson => "csl-json",
        }
    }

    /// Plain-text reference-list styles, as opposed to machine-readable records.
    pub fn is_text_style(self) -> bool {
        matches!(self, Format::Apa | Format::Vancouver)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.key() == wanted || f.label().to_lowercase() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown citation format \"{s}\"; accepted: {}",
                    Format::ALL.map(Format::key).join(", ")
                )
            })
    }
}

/// Renders citations; holds the dataset names that sentence-casing must not touch.
#[derive(Debug, Clone, Default)]
pub struct Citer {
    protected: Vec<Phrase>,
}

impl Citer {
    /// A citer that protects every dataset name, short name and alias of the catalogue.
    pub fn new(catalogue: &Catalogue) -> Self {
        // Generic terms ("CT colonography") are vocabulary synonyms: a dataset alias that is one of
        // them must not keep its capitals in other titles.
        let generic: std::collections::HashSet<String> = VocabName::ALL
            .iter()
            .flat_map(|&v| catalogue.vocabulary.terms(v).values())
            .flat_map(|t| std::iter::once(&t.label).chain(&t.synonyms))
            .map(|s| s.to_lowercase())
            .collect();
        let mut protected = casing::builtin_phrases();
        for e in &catalogue.entries {
            for name in std::iter::once(&e.name)
                .chain(std::iter::once(&e.short_name))
                .chain(&e.aliases)
            {
                // "Chinese Hamster Genome Database (CHOgenome.org)" also protects the bare name.
                let bare = name.split_once(" (").map(|(bare, _)| bare);
                for candidate in std::iter::once(name.as_str()).chain(bare) {
                    if !generic.contains(&candidate.to_lowercase()) {
                        protected.push(casing::phrase(candidate));
                    }
                }
            }
        }
        protected.sort();
        protected.dedup();
        Citer { protected }
    }

    fn sentence_case(&self, title: &str) -> String {
        casing::sentence_case(title, &self.protected)
    }

    /// One citation of an entry, in `format`.
    pub fn citation(&self, entry: &Entry, index: usize, format: Format) -> Option<String> {
        let citation = entry.citations.get(index)?;
        let key = bibtex::key(entry, index);
        Some(match format {
            Format::Apa => apa::reference(self, citation),
            Format::Vancouver => vancouver::reference(self, citation),
            Format::Bibtex => bibtex::record(&key, citation),
            Format::Ris => ris::record(citation),
            Format::CslJson => {
                let item = csl_json::item(&key, citation);
                pretty_json(&serde_json::Value::Array(vec![item]))
            }
        })
    }

    /// All citations of the given entries as one document in `format`: one reference per paragraph
    /// for text styles, one record each for BibTeX and RIS, one JSON array for CSL-JSON. Entries
    /// with no known citation are skipped (a BibTeX comment says so); `uncited` lists them.
    pub fn document(&self, entries: &[&Entry], format: Format) -> Rendered {
        let mut parts = Vec::new();
        let mut items = Vec::new();
        let mut uncited = Vec::new();
        for entry in entries {
            if entry.citations.is_empty() {
                uncited.push(entry.id.clone());
                match format {
                    Format::Apa => parts.push(apa::homepage_reference(entry)),
                    Format::Vancouver => parts.push(vancouver::homepage_reference(entry)),
                    Format::Bibtex => parts.push(format!(
                        "% {}: no citation known ({}). Homepage: {}\n",
                        entry.id,
                        entry.no_citation.as_deref().unwrap_or("no reason given"),
                        entry.homepage
                    )),
                    Format::Ris | Format::CslJson => {}
                }
                continue;
            }
            for (i, citation) in entry.citations.iter().enumerate() {
                let key = bibtex::key(entry, i);
                match format {
                    Format::Apa => parts.push(apa::reference(self, citation)),
                    Format::Vancouver => parts.push(vancouver::reference(self, citation)),
                    Format::Bibtex => parts.push(bibtex::record(&key, citation)),
                    Format::Ris => parts.push(ris::record(citation)),
                    Format::CslJson => items.push(csl_json::item(&key, citation)),
                }
            }
        }
        let text = match format {
            Format::CslJson => pretty_json(&serde_json::Value::Array(items)),
            Format::Apa | Format::Vancouver => parts.join("\n\n") + "\n",
            Format::Bibtex => parts.join("\n"),
            Format::Ris => parts.concat(),
        };
        Rendered { text, uncited }
    }

    /// Every citation of one entry as one document.
    pub fn entry(&self, entry: &Entry, format: Format) -> String {
        self.document(&[entry], format).text
    }
}

/// A rendered document and the ids of entries that had no citation to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub uncited: Vec<String>,
}

fn pretty_json(value: &serde_json::Value) -> String {
    // Serialising a `Value` cannot fail: it has no non-string keys or foreign types.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// "201-209" → ("201", Some("209")); "170177" → ("170177", None).
fn split_pages(pages: &str) -> (&str, Option<&str>) {
    match pages.split_once('-') {
        Some((first, last)) => (first.trim(), Some(last.trim())),
        None => (pages.trim(), None),
    }
}

/// The DOI as an https URL, else the citation's URL, else an arXiv abstract URL.
fn best_link(c: &Citation) -> Option<String> {
    c.doi
        .as_ref()
        .map(|d| format!("https://doi.org/{d}"))
        .or_else(|| c.url.clone())
        .or_else(|| {
            c.arxiv
                .as_ref()
                .map(|a| format!("https://arxiv.org/abs/{a}"))
        })
}

/// Appends a period unless the text already ends a sentence.
fn end_sentence(text: &str) -> String {
    let t = text.trim_end();
    if t.ends_with(['.', '?', '!']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

/// The catalogue marks an author list it could only partly verify (a source that gives the first
/// authors and "et al."); styles then say "et al." instead of presenting the list as complete.
fn authors_incomplete(c: &Citation) -> bool {
    c.unverified.iter().any(|f| f == "authors")
}
