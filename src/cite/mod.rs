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
/// The BibTeX key of an entry's citation `index` (`<id><year>`, a letter for a second of the same
/// year; `<id>` for an undated one), the same in every export.
pub fn bibtex_key(entry: &Entry, index: usize) -> String {
    bibtex::key(entry, index)
}

/// A calendar date (UTC), for the "accessed" date of web resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today, from the system clock (UTC).
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_unix_days((secs / 86_400) as i64)
    }

    /// The civil date of a day count since 1970-01-01 (proleptic Gregorian calendar; the
    /// era-based conversion published by Howard Hinnant, "chrono-Compatible Low-Level Date
    /// Algorithms").
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date as `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    pub fn month_name(self) -> &'static str {
        const NAMES: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        NAMES[usize::from(self.month.clamp(1, 12)) - 1]
    }
}

#[derive(Debug, Clone, Default)]
pub struct Citer {
    protected: Vec<Phrase>,
    /// When web resources were accessed (today, unless a caller fixes it, as golden files do).
    accessed: Date,
}

/// True for a citation of a web resource that may change: styles add when it was accessed.
fn is_web_resource(c: &Citation) -> bool {
    c.kind == "webpage" && c.doi.is_none() && c.url.is_some()
}

/// The citation of an entry with no known paper or data DOI: the resource itself, as a web page
/// (its name and homepage; no invented author or year).
pub fn resource_citation(entry: &Entry) -> Citation {
    Citation {
        role: "dataset".into(),
        kind: "webpage".into(),
        authors: Vec::new(),
        title: entry.name.clone(),
        container: None,
        year: None,
        month: None,
        volume: None,
        issue: None,
        pages: None,
        doi: None,
        url: Some(entry.homepage.clone()),
        pmid: None,
        pmcid: None,
        arxiv: None,
        isbn: None,
        publisher: None,
        editors: Vec::new(),
        note: None,
        evidence: "primary".into(),
        source: entry.homepage.clone(),
        unverified: Vec::new(),
        required: false,
    }
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
        Citer {
            protected,
            accessed: Date::today(),
        }
    }

    /// The same citer with a fixed "accessed" date for web resources.
    pub fn with_accessed(mut self, accessed: Date) -> Self {
        self.accessed = accessed;
        self
    }

    /// The accessed date given to a citation: only web resources carry one.
    fn accessed_for(&self, c: &Citation) -> Option<Date> {
        is_web_resource(c).then_some(self.accessed)
    }

    /// The citations an entry is cited by: its own, or the resource itself when none is known.
    pub fn citations_of<'e>(&self, entry: &'e Entry) -> std::borrow::Cow<'e, [Citation]> {
        if entry.citations.is_empty() {
            std::borrow::Cow::Owned(vec![resource_citation(entry)])
        } else {
            std::borrow::Cow::Borrowed(&entry.citations)
        }
    }

    fn render(&self, key: &str, citation: &Citation, format: Format) -> String {
        let accessed = self.accessed_for(citation);
        match format {
            Format::Apa => apa::reference(self, citation, accessed),
            Format::Vancouver => vancouver::reference(self, citation, accessed),
            Format::Bibtex => bibtex::record(key, citation, accessed),
            Format::Ris => ris::record(citation, accessed),
            Format::CslJson => pretty_json(&serde_json::Value::Array(vec![csl_json::item(
                key, citation, accessed,
            )])),
        }
    }

    fn sentence_case(&self, title: &str) -> String {
        casing::sentence_case(title, &self.protected)
    }

    /// One citation of an entry, in `format` (index 0 of an entry without citations: the
    /// resource itself).
    pub fn citation(&self, entry: &Entry, index: usize, format: Format) -> Option<String> {
        let citations = self.citations_of(entry);
        let citation = citations.get(index)?;
        Some(self.render(&bibtex::key(entry, index), citation, format))
    }

    /// All citations of the given entries as one document in `format`: one reference per paragraph
    /// for text styles, one record each for BibTeX and RIS, one JSON array for CSL-JSON. An entry
    /// with no known paper or data DOI is cited as the resource itself (a web page with its
    /// homepage and the accessed date); `uncited` lists those entries.
    pub fn document(&self, entries: &[&Entry], format: Format) -> Rendered {
        let mut parts = Vec::new();
        let mut items = Vec::new();
        let mut uncited = Vec::new();
        for entry in entries {
            if entry.citations.is_empty() {
                uncited.push(entry.id.clone());
            }
            for (i, citation) in self.citations_of(entry).iter().enumerate() {
                let key = bibtex::key(entry, i);
                match format {
                    Format::CslJson => {
                        items.push(csl_json::item(&key, citation, self.accessed_for(citation)))
                    }
                    _ => parts.push(self.render(&key, citation, format)),
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

/// A rendered document and the ids of entries cited as resources (no paper or data DOI known).
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
