//! A dataset paper's metadata from its DOI, or from one BibTeX entry, as a catalogue citation.
//!
//! Fetching follows the order the registration agencies recommend: DOI content negotiation first
//! (`GET https://doi.org/<doi>` with `Accept: application/vnd.citationstyles.csl+json`), which
//! works for Crossref, DataCite and mEDRA DOIs alike and redirects to the agency that holds the
//! record. When that step fails for any reason other than "no such DOI" (the resolver is down, a
//! redirect loops, the answer is not JSON), the Crossref REST API (`/works/<doi>`) and then the
//! DataCite REST API (`/dois/<doi>`) are asked directly. DataCite's own record is also the only one
//! that carries a dataset's licence (`rightsList`), which content negotiation leaves out, so a data
//! set found elsewhere is completed from it.
//!
//! The client is polite because the public APIs ask for it: it says who it is
//! (`User-Agent: MedAtlas/<version> (mailto:<contact>)` puts it in Crossref's "polite pool"),
//! sends at most about three requests a second, and honours `429 Too Many Requests` with its
//! `Retry-After` up to a limit. Answers are kept in a cache folder, one file per DOI and source,
//! so adding the same dataset twice never asks twice.
//!
//! Every fault is one [`DoiError`] whose message says what went wrong in words a user can act on;
//! nothing here panics or returns half a record.

use std::collections::HashSet;
use std::fmt;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use serde_json::Value;
use url::Url;

use crate::catalogue::Citation;
use crate::catalogue::validate::{DoiError as DoiShapeError, check_doi};

/// The DOI resolver, which answers content negotiation for every registration agency.
pub const DOI_BASE: &str = "https://doi.org";
/// The Crossref REST API.
pub const CROSSREF_BASE: &str = "https://api.crossref.org";
/// The DataCite REST API.
pub const DATACITE_BASE: &str = "https://api.datacite.org";

/// The largest answer read. A metadata record is a few kilobytes (a Crossref record with its
/// reference list rarely passes 200 kB); anything this large is not a record, and reading it would
/// only hold memory.
pub const MAX_BODY_BYTES: u64 = 2 * 1024 * 1024;

/// How many redirects one request may follow: doi.org redirects once to the agency, which may
/// redirect once more; five leaves room without letting a loop run on.
pub const MAX_REDIRECTS: usize = 5;

/// The longest `Retry-After` honoured. A user is waiting at a dialog; a longer pause is reported.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// How long connecting may take: enough for a slow network, short enough to report "offline".
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one whole request may take, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// The pause between two requests of one client: about three a second, what Crossref's etiquette
/// asks of clients that do not negotiate a higher limit.
const MIN_INTERVAL: Duration = Duration::from_millis(334);

/// The wait after a `429` that gives no usable `Retry-After`.
const DEFAULT_RETRY_WAIT: Duration = Duration::from_secs(1);

/// CSL-JSON, which doi.org's content negotiation returns for Crossref, DataCite and mEDRA DOIs.
const CSL_JSON: &str = "application/vnd.citationstyles.csl+json";

/// Why a DOI's record could not be had, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum DoiError {
    #[error(
        "\"{input}\" is not a DOI ({why}): a DOI looks like 10.1234/abcd, also written \
         doi:10.1234/abcd or https://doi.org/10.1234/abcd"
    )]
    Malformed { input: String, why: DoiShapeError },
    #[error("no such DOI: {doi} is not registered ({url} answered 404 Not Found)")]
    NotFound { doi: String, url: String },
    #[error("could not connect to {host}: check the internet connection, or try again later")]
    Unreachable { host: String },
    #[error("{host} did not answer within {} s; try again later", .after.as_secs_f32())]
    TimedOut { host: String, after: Duration },
    #[error("the answer from {url} is larger than {} MB and was refused", MAX_BODY_BYTES / (1024 * 1024))]
    TooLarge { url: String },
    #[error("{url} sent a web page ({content_type}) where JSON metadata was expected")]
    NotJson { url: String, content_type: String },
    #[error("the metadata from {url} could not be read: {message}")]
    BadJson { url: String, message: String },
    #[error("{url} redirects in a loop (back to {target})")]
    RedirectLoop { url: String, target: String },
    #[error("{url} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: String },
    #[error(
        "{host} asks to wait {} s before the next request (429 Too Many Requests), longer than the \
         {} s MedAtlas waits; try again later",
        .wait.as_secs(), MAX_RETRY_WAIT.as_secs()
    )]
    RateLimited { host: String, wait: Duration },
    #[error("{url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("could not fetch {url}: {message}")]
    Transport { url: String, message: String },
    #[error("the record of {doi} has no title")]
    MissingTitle { doi: String },
    #[error(
        "the record of {doi} names no authors, but a publication of type \"{kind}\" needs at least one"
    )]
    MissingAuthors { doi: String, kind: &'static str },
    #[error("the record of {doi} is of type \"{kind}\", which MedAtlas cannot cite")]
    UnsupportedType { doi: String, kind: String },
    #[error("the BibTeX could not be read: {0}")]
    Bibtex(String),
    #[error("the BibTeX holds {0} entries; give exactly one")]
    BibtexEntries(usize),
    #[error("could not read {path}: {message}")]
    ReadFile { path: PathBuf, message: String },
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

/// The bare DOI of `input`, lower-cased (DOIs are case-insensitive, so this is the form to
/// compare and to key the cache by).
///
/// Accepts `10.…`, `doi:10.…`, `https://doi.org/10.…` and `http://dx.doi.org/10.…`, with any case
/// in the prefix and white space around.
pub fn normalise(input: &str) -> Result<String, DoiError> {
    strip_prefix(input).map(|doi| doi.to_lowercase())
}

/// The bare DOI of `input` with the case it was written in, for display.
fn strip_prefix(input: &str) -> Result<String, DoiError> {
    let trimmed = input.trim();
    let lower = trimmed.to_ascii_lowercase();
    let prefixes = [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi.org/",
        "doi:",
    ];
    let bare = prefixes
        .iter()
        .find(|p| lower.starts_with(*p))
        .map_or(trimmed, |p| trimmed[p.len()..].trim_start());
    check_doi(bare).map_err(|why| DoiError::Malformed {
        input: trimmed.to_owned(),
        why,
    })?;
    Ok(bare.to_owned())
}

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// doi.org content negotiation (CSL-JSON).
    DoiOrg,
    /// The Crossref REST API (`message`).
    Crossref,
    /// The DataCite REST API (`data.attributes`).
    DataCite,
    /// A BibTeX entry.
    Bibtex,
}

impl Source {
    /// The name used in cache file names and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DoiOrg => "doi-org",
            Source::Crossref => "crossref",
            Source::DataCite => "datacite",
            Source::Bibtex => "bibtex",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogue's citation types (`citation_types` in `catalogue/vocabulary.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    JournalArticle,
    ConferencePaper,
    Chapter,
    Dataset,
    /// A preprint (CSL's `article`).
    Preprint,
    Report,
    Book,
    Thesis,
    Webpage,
}

impl Kind {
    /// The catalogue's (and CSL's) name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::JournalArticle => "article-journal",
            Kind::ConferencePaper => "paper-conference",
            Kind::Chapter => "chapter",
            Kind::Dataset => "dataset",
            Kind::Preprint => "article",
            Kind::Report => "report",
            Kind::Book => "book",
            Kind::Thesis => "thesis",
            Kind::Webpage => "webpage",
        }
    }

    /// A publication always names its authors; a resource (a data set, a web page) may not.
    pub fn is_publication(self) -> bool {
        !matches!(self, Kind::Dataset | Kind::Webpage)
    }

    /// The type of a CSL, Crossref or DataCite type name. The three vocabularies overlap (doi.org
    /// passes some Crossref names through in CSL-JSON), so one table reads them all.
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "article-journal" | "journal-article" | "journalarticle" => Kind::JournalArticle,
            "paper-conference"
            | "proceedings-article"
            | "conferencepaper"
            | "conferenceproceeding" => Kind::ConferencePaper,
            "chapter" | "book-chapter" | "book-section" | "book-part" | "bookchapter" => {
                Kind::Chapter
            }
            "dataset" | "database" => Kind::Dataset,
            "article" | "posted-content" | "preprint" => Kind::Preprint,
            "report" | "report-component" => Kind::Report,
            "book" | "monograph" | "edited-book" | "reference-book" => Kind::Book,
            "thesis" | "dissertation" => Kind::Thesis,
            "webpage" => Kind::Webpage,
            _ => return None,
        })
    }
}

/// One work's metadata, whichever source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: Kind,
    pub title: String,
    /// "Family, G." for people, the name as given for organisations.
    pub authors: Vec<String>,
    /// Journal, proceedings, book or repository.
    pub container: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub pages: Option<String>,
    /// The bare DOI as the source wrote it.
    pub doi: Option<String>,
    pub url: Option<String>,
    pub publisher: Option<String>,
    /// Plain text, markup removed; paragraphs separated by a blank line.
    pub abstract_text: Option<String>,
    /// A suggested licence, an SPDX id (DataCite `rightsList` only).
    pub licence: Option<String>,
    pub source: Source,
    /// Where the record was read: the address fetched, or the BibTeX file.
    pub source_url: String,
}

impl Record {
    /// The record as a catalogue citation: role "dataset" for a data set and "paper" otherwise,
    /// evidence "primary" (the registration agency's own record), and values in the forms the
    /// catalogue's validator asks for (bare DOI, page ranges with a plain hyphen, a year between
    /// 1900 and 2100 or none).
    pub fn citation(&self) -> Citation {
        let role = if self.kind == Kind::Dataset {
            "dataset"
        } else {
            "paper"
        };
        let year = self.year.filter(|y| (1900..=2100).contains(y));
        Citation {
            role: role.to_owned(),
            kind: self.kind.as_str().to_owned(),
            authors: self.authors.clone(),
            title: self.title.clone(),
            container: self.container.clone(),
            year,
            month: self
                .month
                .filter(|m| year.is_some() && (1..=12).contains(m)),
            volume: self.volume.clone(),
            issue: self.issue.clone(),
            pages: self.pages.as_deref().map(plain_hyphens),
            doi: self.doi.clone(),
            url: self.url.clone(),
            pmid: None,
            pmcid: None,
            arxiv: None,
            isbn: None,
            publisher: self.publisher.clone(),
            editors: Vec::new(),
            note: None,
            evidence: "primary".to_owned(),
            source: self.source_url.clone(),
            unverified: Vec::new(),
            required: false,
        }
    }

    /// What a draft entry is made from: this record's citation, its abstract, its web address (else
    /// the DOI's) as homepage and, when it was read from a web address, that address as source.
    /// `None` when the record has neither a DOI nor a web address: a draft needs a homepage.
    pub fn draft_input(
        &self,
        id: &str,
        name: &str,
        checked: &str,
    ) -> Option<crate::catalogue::draft::DraftInput> {
        let homepage = self
            .url
            .clone()
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .or_else(|| self.doi.as_ref().map(|d| format!("https://doi.org/{d}")))?;
        let source = if self.source_url.starts_with("http") {
            self.source_url.clone()
        } else {
            homepage.clone()
        };
        Some(crate::catalogue::draft::DraftInput {
            id: id.to_owned(),
            name: name.to_owned(),
            citation: self.citation(),
            abstract_text: self.abstract_text.clone(),
            homepage,
            licence: self.licence.clone(),
            source,
            checked: checked.to_owned(),
        })
    }

    /// The text facet values are suggested from: the title and the abstract.
    pub fn suggestion_text(&self) -> String {
        format!(
            "{} {}",
            self.title,
            self.abstract_text.as_deref().unwrap_or("")
        )
    }

    /// A CSL-JSON item, as doi.org's content negotiation returns it.
    pub fn from_csl(value: &Value, source_url: &str) -> Result<Record, DoiError> {
        let doi = text(&value["DOI"]);
        let label = label(doi.as_deref(), source_url);
        let kind = kind_of(value["type"].as_str(), &label)?;
        let (year, month) = csl_date(value);
        finish(Draft {
            kind,
            title: first_text(&value["title"]),
            authors: csl_names(&value["author"]),
            container: first_text(&value["container-title"]),
            year,
            month,
            volume: text(&value["volume"]),
            issue: text(&value["issue"]),
            pages: text(&value["page"]),
            doi,
            url: text(&value["URL"]),
            publisher: text(&value["publisher"]),
            abstract_text: text(&value["abstract"]).map(|a| strip_markup(&a)),
            licence: None,
            source: Source::DoiOrg,
            source_url: source_url.to_owned(),
            label,
        })
    }

    /// A Crossref REST API answer (`{"message": {...}}`, or the message itself).
    pub fn from_crossref(value: &Value, source_url: &str) -> Result<Record, DoiError> {
        let message = value.get("message").unwrap_or(value);
        let doi = text(&message["DOI"]);
        let label = label(doi.as_deref(), source_url);
        let kind = kind_of(message["type"].as_str(), &label)?;
        let (year, month) = csl_date(message);
        // Crossref keeps a subtitle apart ("FUSION" + "An Online Method for …"); a citation
        // gives both.
        let title = match (
            first_text(&message["title"]),
            first_text(&message["subtitle"]),
        ) {
            (Some(title), Some(subtitle)) if !title.contains(&subtitle) => {
                Some(format!("{}: {subtitle}", title.trim_end_matches(':')))
            }
            (title, _) => title,
        };
        finish(Draft {
            kind,
            title,
            authors: csl_names(&message["author"]),
            container: first_text(&message["container-title"]),
            year,
            month,
            volume: text(&message["volume"]),
            issue: text(&message["issue"]),
            pages: text(&message["page"]),
            doi,
            url: text(&message["URL"]),
            publisher: text(&message["publisher"]),
            abstract_text: text(&message["abstract"]).map(|a| strip_markup(&a)),
            licence: None,
            source: Source::Crossref,
            source_url: source_url.to_owned(),
            label,
        })
    }

    /// A DataCite REST API answer (`{"data": {"attributes": {...}}}`, or the attributes).
    pub fn from_datacite(value: &Value, source_url: &str) -> Result<Record, DoiError> {
        let attributes = value
            .get("data")
            .and_then(|d| d.get("attributes"))
            .unwrap_or(value);
        let doi = text(&attributes["doi"]);
        let label = label(doi.as_deref(), source_url);
        let types = &attributes["types"];
        // `citeproc` is DataCite's own CSL mapping; `resourceTypeGeneral` is the coarse kind.
        // Whatever DataCite holds that is not a text (an image, software, a collection) is
        // cited as a resource, a data set.
        let kind = types["citeproc"]
            .as_str()
            .and_then(Kind::from_name)
            .or_else(|| types["resourceTypeGeneral"].as_str().map(datacite_kind))
            .unwrap_or(Kind::Dataset);
        let title = attributes["titles"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t.get("titleType").is_none_or(Value::is_null))
            .or_else(|| attributes["titles"].get(0))
            .and_then(|t| text(&t["title"]));
        let year = match &attributes["publicationYear"] {
            Value::Number(n) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        let month = attributes["dates"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["dateType"].as_str() == Some("Issued"))
            .and_then(|d| d["date"].as_str())
            .and_then(|d| iso_date(d).1);
        let publisher = match &attributes["publisher"] {
            Value::Object(o) => o.get("name").and_then(text),
            other => text(other),
        };
        let abstract_text = attributes["descriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["descriptionType"].as_str() == Some("Abstract"))
            .and_then(|d| text(&d["description"]))
            .map(|a| strip_markup(&a));
        finish(Draft {
            kind,
            title,
            authors: datacite_names(&attributes["creators"]),
            container: attributes["container"]
                .get("title")
                .and_then(text)
                .or_else(|| (kind == Kind::Dataset).then(|| publisher.clone()).flatten()),
            year,
            month,
            volume: None,
            issue: None,
            pages: None,
            doi,
            url: text(&attributes["url"]),
            publisher,
            abstract_text,
            licence: licence_of(&attributes["rightsList"]),
            source: Source::DataCite,
            source_url: source_url.to_owned(),
            label,
        })
    }

    /// The one entry of a BibTeX text; `source` names where the text came from (a file or
    /// address), for the citation's `source`.
    pub fn from_bibtex(text: &str, source: &str) -> Result<Record, DoiError> {
        bibtex::record(text, source)
    }

    /// The one entry of a BibTeX file.
    pub fn from_bibtex_file(path: &Path) -> Result<Record, DoiError> {
        let text = std::fs::read_to_string(path).map_err(|e| DoiError::ReadFile {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Record::from_bibtex(&text, &path.display().to_string())
    }

    /// A record from a source's JSON.
    fn from_json(source: Source, value: &Value, source_url: &str) -> Result<Record, DoiError> {
        match source {
            Source::DoiOrg => Record::from_csl(value, source_url),
            Source::Crossref => Record::from_crossref(value, source_url),
            Source::DataCite => Record::from_datacite(value, source_url),
            Source::Bibtex => Err(DoiError::BadJson {
                url: source_url.to_owned(),
                message: "BibTeX is not JSON".to_owned(),
            }),
        }
    }
}

/// A record before the checks every source shares.
struct Draft {
    kind: Kind,
    title: Option<String>,
    authors: Vec<String>,
    container: Option<String>,
    year: Option<i32>,
    month: Option<u8>,
    volume: Option<String>,
    issue: Option<String>,
    pages: Option<String>,
    doi: Option<String>,
    url: Option<String>,
    publisher: Option<String>,
    abstract_text: Option<String>,
    licence: Option<String>,
    source: Source,
    source_url: String,
    /// How messages name the record: its DOI, else where it came from.
    label: String,
}

/// The checks every source shares: a title, and authors for a publication.
fn finish(d: Draft) -> Result<Record, DoiError> {
    let Some(title) = d
        .title
        .map(|t| collapse(&strip_markup(&t)))
        .filter(|t| !t.is_empty())
    else {
        return Err(DoiError::MissingTitle { doi: d.label });
    };
    if d.authors.is_empty() && d.kind.is_publication() {
        return Err(DoiError::MissingAuthors {
            doi: d.label,
            kind: d.kind.as_str(),
        });
    }
    let doi = d.doi.and_then(|doi| strip_prefix(&doi).ok());
    Ok(Record {
        kind: d.kind,
        title,
        authors: d.authors,
        container: d.container.map(|c| collapse(&strip_markup(&c))),
        year: d.year,
        month: d.month,
        volume: d.volume,
        issue: d.issue,
        pages: d.pages,
        doi,
        url: d.url,
        publisher: d.publisher,
        abstract_text: d.abstract_text.filter(|a| !a.is_empty()),
        licence: d.licence,
        source: d.source,
        source_url: d.source_url,
    })
}

fn label(doi: Option<&str>, source_url: &str) -> String {
    doi.map_or_else(|| source_url.to_owned(), str::to_owned)
}

fn kind_of(name: Option<&str>, label: &str) -> Result<Kind, DoiError> {
    let name = name.unwrap_or("").trim();
    Kind::from_name(name).ok_or_else(|| DoiError::UnsupportedType {
        doi: label.to_owned(),
        kind: if name.is_empty() {
            "(none)".to_owned()
        } else {
            name.to_owned()
        },
    })
}

/// DataCite's `resourceTypeGeneral` values that are texts, and everything else as a resource.
fn datacite_kind(general: &str) -> Kind {
    match general {
        "JournalArticle" => Kind::JournalArticle,
        "ConferencePaper" | "ConferenceProceeding" => Kind::ConferencePaper,
        "BookChapter" => Kind::Chapter,
        "Book" => Kind::Book,
        "Preprint" => Kind::Preprint,
        "Report" => Kind::Report,
        "Dissertation" => Kind::Thesis,
        _ => Kind::Dataset,
    }
}

/// A string, or a number written as one (Crossref sends `volume` as a string, some CSL
/// producers as a number); trimmed, `None` when empty.
fn text(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A string, or the first string of an array (Crossref's `title` and `container-title`).
fn first_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) => items.iter().find_map(text),
        other => text(other),
    }
}

/// Year and month from CSL's `issued`, else Crossref's `published`, `published-print` or
/// `published-online` (`{"date-parts": [[2019, 4, 3]]}`).
fn csl_date(value: &Value) -> (Option<i32>, Option<u8>) {
    for field in ["issued", "published", "published-print", "published-online"] {
        let parts = &value[field]["date-parts"][0];
        let year = match &parts[0] {
            Value::Number(n) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        if let Some(year) = year {
            let month = match &parts[1] {
                Value::Number(n) => n.as_u64().and_then(|m| u8::try_from(m).ok()),
                Value::String(s) => s.parse().ok(),
                _ => None,
            };
            return (Some(year), month.filter(|m| (1..=12).contains(m)));
        }
        if let Some(raw) = value[field]["raw"].as_str() {
            let (year, month) = iso_date(raw);
            if year.is_some() {
                return (year, month);
            }
        }
    }
    (None, None)
}

/// Year and month of `2020`, `2020-03` or `2020-03-01…`.
fn iso_date(s: &str) -> (Option<i32>, Option<u8>) {
    let mut parts = s.trim().split(['-', '/']);
    let year = parts
        .next()
        .filter(|y| y.len() == 4)
        .and_then(|y| y.parse().ok());
    let month = parts
        .next()
        .and_then(|m| m.get(..2).unwrap_or(m).parse().ok())
        .filter(|m| (1..=12).contains(m));
    (year, month)
}

/// CSL and Crossref names: `family` and `given` for people, `literal` or `name` for
/// organisations.
fn csl_names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|person| {
            let family = text(&person["family"]);
            let given = text(&person["given"]);
            let suffix = text(&person["suffix"]);
            match family {
                Some(family) => Some(person_name(&family, given.as_deref(), suffix.as_deref())),
                None => text(&person["literal"])
                    .or_else(|| text(&person["name"]))
                    .or(given)
                    .map(|n| organisation_name(&n)),
            }
        })
        .collect()
}

/// DataCite creators: `familyName` and `givenName` for people; an organisation (or a person
/// given only as `name`) keeps its `name`, except that a personal "Family, Given" name is
/// abbreviated like the others.
fn datacite_names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|creator| {
            let organisational = creator["nameType"].as_str() == Some("Organizational");
            if !organisational && let Some(family) = text(&creator["familyName"]) {
                return Some(person_name(
                    &family,
                    text(&creator["givenName"]).as_deref(),
                    None,
                ));
            }
            let name = text(&creator["name"])?;
            if !organisational && let Some((family, given)) = name.split_once(',') {
                let (family, given) = (family.trim(), given.trim());
                if !family.is_empty() && !given.is_empty() && !given.contains(',') {
                    return Some(person_name(family, Some(given), None));
                }
            }
            Some(organisation_name(&name))
        })
        .collect()
}

/// "Family, G. H." (and ", Suffix" when there is one), the catalogue's form of a person.
fn person_name(family: &str, given: Option<&str>, suffix: Option<&str>) -> String {
    let family = collapse(family).replace(',', "");
    let mut name = family;
    if let Some(initials) = given.map(initials).filter(|i| !i.is_empty()) {
        name.push_str(", ");
        name.push_str(&initials);
    }
    if let Some(suffix) = suffix.map(collapse).filter(|s| !s.is_empty()) {
        name.push_str(", ");
        name.push_str(&suffix.replace(',', ""));
    }
    name
}

/// "Jean-Paul R. J." → "J.-P. R. J.": the first letter of every part; hyphens kept.
pub fn initials(given: &str) -> String {
    given
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|w| !w.is_empty())
        .map(|word| {
            word.split('-')
                .filter_map(|part| part.chars().next())
                .map(|c| format!("{}.", c.to_uppercase()))
                .collect::<Vec<_>>()
                .join("-")
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An organisation as an author: commas would make it read as "Family, Given", so they go.
fn organisation_name(name: &str) -> String {
    collapse(&name.replace(',', " "))
}

/// White space runs as one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Page ranges with a plain hyphen, as the catalogue writes them ("2918–2922", "2918--2922"
/// and "2918—2922" become "2918-2922").
fn plain_hyphens(pages: &str) -> String {
    pages
        .replace(['\u{2013}', '\u{2014}', '\u{2012}', '\u{2212}'], "-")
        .replace("--", "-")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("")
}

/// Plain text of an abstract or title in JATS or HTML: tags removed, a paragraph break after
/// each paragraph, a leading "Abstract" heading dropped, entities decoded, white space collapsed.
pub fn strip_markup(markup: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut rest = markup;
    let mut in_title = false;
    let mut title = String::new();
    while let Some(start) = rest.find('<') {
        let (before, after) = rest.split_at(start);
        if in_title {
            title.push_str(before);
        } else {
            current.push_str(before);
        }
        // A "<" that does not open a tag ("P < 0.05", "<5 mm") is text.
        let opens_tag = after[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        let end = after.find('>').filter(|_| opens_tag);
        let Some(end) = end else {
            if in_title {
                title.push('<');
            } else {
                current.push('<');
            }
            rest = &after[1..];
            continue;
        };
        let tag = after[1..end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let closing = tag.starts_with('/');
        match local {
            "p" | "br" | "sec" | "div" | "li" if closing || local == "br" => {
                push_paragraph(&mut paragraphs, &mut current);
            }
            "title" if !closing => {
                push_paragraph(&mut paragraphs, &mut current);
                in_title = true;
                title.clear();
            }
            "title" => {
                in_title = false;
                let heading = collapse(&decode_entities(&title));
                // "Abstract" repeats what the field is; other headings (Background, Methods)
                // belong to a structured abstract and are kept.
                if !heading.eq_ignore_ascii_case("abstract") && !heading.is_empty() {
                    paragraphs.push(heading);
                }
            }
            // Inline elements join their words to the text around them; MathML and similar
            // leave their text.
            _ => {}
        }
        rest = &after[end + 1..];
    }
    current.push_str(rest);
    push_paragraph(&mut paragraphs, &mut current);
    paragraphs.join("\n\n")
}

fn push_paragraph(paragraphs: &mut Vec<String>, current: &mut String) {
    let text = collapse(&decode_entities(current));
    if !text.is_empty() {
        paragraphs.push(text);
    }
    current.clear();
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references; anything else
/// is left as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The licence a DataCite `rightsList` names: an SPDX id when `rightsIdentifier` gives one the
/// catalogue knows, else a Creative Commons or Open Data Commons address mapped to its id, else
/// none (an "open access" statement is not a licence).
fn licence_of(rights: &Value) -> Option<String> {
    let rights = rights.as_array()?;
    rights
        .iter()
        .find_map(|r| r["rightsIdentifier"].as_str().and_then(spdx_id))
        .or_else(|| {
            rights
                .iter()
                .find_map(|r| r["rightsUri"].as_str().and_then(licence_from_url))
        })
}

/// The SPDX ids a data set's licence suggestion may take: those of the catalogue's vocabulary.
const KNOWN_LICENCES: [&str; 22] = [
    "CC0-1.0",
    "CC-BY-2.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-2.0",
    "CC-BY-NC-3.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-3.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-NC-ND-3.0",
    "CC-BY-NC-ND-4.0",
    "CC-BY-ND-4.0",
    "ODbL-1.0",
    "ODC-By-1.0",
    "PDDL-1.0",
    "MIT",
    "Apache-2.0",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "BSD-3-Clause",
];

/// SPDX ids are case-insensitive; DataCite often sends them lower-cased (`cc-by-4.0`).
fn spdx_id(id: &str) -> Option<String> {
    let id = id.trim();
    KNOWN_LICENCES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(id))
        .map(|known| (*known).to_owned())
}

/// `https://creativecommons.org/licenses/by-nc/4.0/legalcode` → `CC-BY-NC-4.0`, the public
/// domain dedication → `CC0-1.0`, the Open Data Commons licences → their ids.
fn licence_from_url(url: &str) -> Option<String> {
    let parsed = Url::parse(url.trim()).ok()?;
    let host = parsed.host_str()?.trim_start_matches("www.");
    let segments: Vec<&str> = parsed.path_segments()?.filter(|s| !s.is_empty()).collect();
    match (host, segments.as_slice()) {
        ("creativecommons.org", ["licenses", terms, version, ..]) => {
            spdx_id(&format!("CC-{terms}-{version}"))
        }
        ("creativecommons.org", ["publicdomain", "zero", "1.0", ..]) => Some("CC0-1.0".to_owned()),
        ("opendatacommons.org", ["licenses", name, ..]) => match *name {
            "by" => Some("ODC-By-1.0".to_owned()),
            "odbl" => Some("ODbL-1.0".to_owned()),
            "pddl" => Some("PDDL-1.0".to_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// Where and how a [`DoiClient`] asks.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The resolver for content negotiation, [`DOI_BASE`] by default.
    pub doi_base: String,
    /// [`CROSSREF_BASE`] by default.
    pub crossref_base: String,
    /// [`DATACITE_BASE`] by default.
    pub datacite_base: String,
    /// An e-mail address for the User-Agent, so Crossref can reach the user instead of
    /// blocking them (its "polite pool").
    pub contact: Option<String>,
    /// Where answers are kept, one file per DOI and source; `None` keeps nothing.
    pub cache_dir: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// For one whole request, answer included.
    pub request_timeout: Duration,
    /// The least time between two requests.
    pub min_interval: Duration,
    /// The longest `Retry-After` honoured, at most [`MAX_RETRY_WAIT`].
    pub max_retry_wait: Duration,
}

impl FetchOptions {
    /// The real services, with the user's contact address (`medatlas config`) and answers cached
    /// in the user's cache folder.
    pub fn for_user() -> Self {
        FetchOptions {
            contact: crate::config::ConfigFile::default_location()
                .and_then(|f| f.load().ok())
                .and_then(|c| c.contact_email),
            cache_dir: crate::project_dirs().map(|d| d.cache_dir().join("doi")),
            ..FetchOptions::default()
        }
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            doi_base: DOI_BASE.to_owned(),
            crossref_base: CROSSREF_BASE.to_owned(),
            datacite_base: DATACITE_BASE.to_owned(),
            contact: None,
            cache_dir: None,
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            min_interval: MIN_INTERVAL,
            max_retry_wait: MAX_RETRY_WAIT,
        }
    }
}

/// The User-Agent: who is asking, and how to reach them when a contact is configured.
pub fn user_agent(contact: Option<&str>) -> String {
    match contact.map(str::trim).filter(|c| !c.is_empty()) {
        Some(contact) => format!("MedAtlas/{} (mailto:{contact})", crate::VERSION),
        None => format!("MedAtlas/{}", crate::VERSION),
    }
}

/// A blocking client of doi.org, Crossref and DataCite.
#[derive(Debug)]
pub struct DoiClient {
    options: FetchOptions,
    http: Client,
    /// When the last request was sent, for the pause between requests.
    last_request: Mutex<Option<Instant>>,
}

impl DoiClient {
    pub fn new(options: FetchOptions) -> Result<Self, DoiError> {
        let http = Client::builder()
            .user_agent(user_agent(options.contact.as_deref()))
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            // Redirects are followed by hand, to count them and to see loops.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| DoiError::Client(e.to_string()))?;
        Ok(DoiClient {
            options,
            http,
            last_request: Mutex::new(None),
        })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// The record of a DOI (in any form [`normalise`] accepts): from the cache when an earlier
    /// fetch kept it, else from doi.org, else from Crossref, else from DataCite. A 404 from
    /// doi.org is final ("no such DOI"); when every source fails, the first failure is reported.
    ///
    /// A data set found elsewhere than at DataCite is completed with DataCite's licence
    /// (`rightsList`), which content negotiation leaves out; that look-up is best effort.
    pub fn fetch(&self, input: &str) -> Result<Record, DoiError> {
        let doi = normalise(input)?;
        let record = self.find(&doi)?;
        Ok(self.with_licence(&doi, record))
    }

    /// The record of a bare, lower-cased DOI: the cache, then each source in turn.
    fn find(&self, doi: &str) -> Result<Record, DoiError> {
        for source in [Source::DoiOrg, Source::Crossref, Source::DataCite] {
            if let Some(record) = self.cached(doi, source) {
                return Ok(record);
            }
        }
        let mut first_error = None;
        for source in [Source::DoiOrg, Source::Crossref, Source::DataCite] {
            match self.fetch_from(doi, source) {
                Ok(record) => return Ok(record),
                Err(e @ DoiError::NotFound { .. }) if source == Source::DoiOrg => return Err(e),
                Err(e) => {
                    tracing::debug!("{doi} from {source}: {e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(DoiError::Transport {
            url: self.options.doi_base.clone(),
            message: "no source was asked".to_owned(),
        }))
    }

    /// A data set's record with the licence DataCite's record suggests, when it has none yet.
    fn with_licence(&self, doi: &str, mut record: Record) -> Record {
        if record.kind != Kind::Dataset
            || record.licence.is_some()
            || record.source == Source::DataCite
        {
            return record;
        }
        let datacite = match self.cached(doi, Source::DataCite) {
            Some(cached) => Ok(cached),
            None => self.fetch_from(doi, Source::DataCite),
        };
        match datacite {
            Ok(datacite) => record.licence = datacite.licence,
            Err(e) => tracing::debug!("no licence for {doi} from DataCite: {e}"),
        }
        record
    }

    /// The record of a DOI from one source, without the cache's help (but kept there).
    pub fn fetch_from(&self, doi: &str, source: Source) -> Result<Record, DoiError> {
        let doi = normalise(doi)?;
        let Some((url, accept)) = self.request_for(&doi, source) else {
            return Err(DoiError::Transport {
                url: doi,
                message: "BibTeX is read, not fetched".to_owned(),
            });
        };
        let body = self.get(&url, accept, &doi)?;
        let value: Value = serde_json::from_slice(&body).map_err(|e| DoiError::BadJson {
            url: url.clone(),
            message: e.to_string(),
        })?;
        let record = Record::from_json(source, &value, &url)?;
        self.keep(&doi, source, &url, value);
        Ok(record)
    }

    /// The address to ask a source for a DOI, and the `Accept` header that gets JSON.
    fn request_for(&self, doi: &str, source: Source) -> Option<(String, &'static str)> {
        let doi = encode_doi(doi);
        Some(match source {
            Source::DoiOrg => (format!("{}/{doi}", base(&self.options.doi_base)), CSL_JSON),
            Source::Crossref => (
                format!("{}/works/{doi}", base(&self.options.crossref_base)),
                "application/json",
            ),
            Source::DataCite => (
                format!("{}/dois/{doi}", base(&self.options.datacite_base)),
                "application/vnd.api+json",
            ),
            Source::Bibtex => return None,
        })
    }

    /// One GET, redirects followed by hand, `429` waited out, the answer checked and read.
    fn get(&self, start: &str, accept: &str, doi: &str) -> Result<Vec<u8>, DoiError> {
        let mut url = Url::parse(start).map_err(|e| DoiError::Transport {
            url: start.to_owned(),
            message: format!("not a valid address ({e})"),
        })?;
        let mut seen = HashSet::from([url.as_str().to_owned()]);
        let mut redirects = 0;
        let mut waited = Duration::ZERO;
        loop {
            self.pace();
            let response = self
                .http
                .get(url.clone())
                .header(ACCEPT, accept)
                .send()
                .map_err(|e| self.transport_error(&e, &url))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = redirect_target(&response, &url)?;
                redirects += 1;
                if !seen.insert(next.as_str().to_owned()) {
                    return Err(DoiError::RedirectLoop {
                        url: start.to_owned(),
                        target: next.to_string(),
                    });
                }
                if redirects > MAX_REDIRECTS {
                    return Err(DoiError::TooManyRedirects {
                        url: start.to_owned(),
                    });
                }
                url = next;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&response).unwrap_or(DEFAULT_RETRY_WAIT);
                let limit = self.options.max_retry_wait.min(MAX_RETRY_WAIT);
                if waited + wait > limit {
                    return Err(DoiError::RateLimited {
                        host: host_of(&url),
                        wait,
                    });
                }
                drop(response);
                thread::sleep(wait);
                waited += wait;
                continue;
            }
            if status == StatusCode::NOT_FOUND {
                return Err(DoiError::NotFound {
                    doi: doi.to_owned(),
                    url: url.to_string(),
                });
            }
            if !status.is_success() {
                return Err(DoiError::Http {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            return self.read_json_body(response, &url);
        }
    }

    /// The body of a successful answer, refused when it is too large or is a web page.
    fn read_json_body(&self, response: Response, url: &Url) -> Result<Vec<u8>, DoiError> {
        let too_large = || DoiError::TooLarge {
            url: url.to_string(),
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let not_json = |content_type: &str| DoiError::NotJson {
            url: url.to_string(),
            content_type: if content_type.is_empty() {
                "no content type".to_owned()
            } else {
                content_type.to_owned()
            },
        };
        if content_type.contains("html") || content_type.contains("xml") {
            return Err(not_json(&content_type));
        }
        let mut body = Vec::new();
        response
            .take(MAX_BODY_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.read_error(&e, url))?;
        if body.len() as u64 > MAX_BODY_BYTES {
            return Err(too_large());
        }
        let start = body.iter().find(|b| !b.is_ascii_whitespace());
        if start == Some(&b'<') {
            return Err(not_json(if content_type.is_empty() {
                "text/html"
            } else {
                &content_type
            }));
        }
        Ok(body)
    }

    /// Waits until the pause since the last request has passed.
    fn pace(&self) {
        let mut last = self
            .last_request
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(previous) = *last {
            let since = previous.elapsed();
            if since < self.options.min_interval {
                thread::sleep(self.options.min_interval - since);
            }
        }
        *last = Some(Instant::now());
    }

    fn transport_error(&self, e: &reqwest::Error, url: &Url) -> DoiError {
        if e.is_timeout() {
            return DoiError::TimedOut {
                host: host_of(url),
                after: if e.is_connect() {
                    self.options.connect_timeout
                } else {
                    self.options.request_timeout
                },
            };
        }
        if e.is_connect() {
            return DoiError::Unreachable { host: host_of(url) };
        }
        DoiError::Transport {
            url: url.to_string(),
            message: error_chain(e),
        }
    }

    /// A failure while the body was read: a time-out says so, anything else is a transport
    /// error.
    fn read_error(&self, e: &std::io::Error, url: &Url) -> DoiError {
        let inner_timeout = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout);
        if inner_timeout || e.kind() == ErrorKind::TimedOut {
            return DoiError::TimedOut {
                host: host_of(url),
                after: self.options.request_timeout,
            };
        }
        DoiError::Transport {
            url: url.to_string(),
            message: e.to_string(),
        }
    }

    /// The cached record of a DOI from one source. A file that cannot be read or parsed is
    /// ignored (and replaced by the next fetch): a cache never stops a fetch.
    fn cached(&self, doi: &str, source: Source) -> Option<Record> {
        let path = self.cache_path(doi, source)?;
        let bytes = std::fs::read(&path).ok()?;
        let parsed = serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                let url = value["source_url"].as_str().unwrap_or_default().to_owned();
                Record::from_json(source, &value["body"], &url).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(record) => Some(record),
            Err(why) => {
                tracing::warn!("ignoring the cache file {}: {why}", path.display());
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Keeps an answer that gave a record, with the address it came from (the citation's
    /// `source`). Failing to write only costs a later fetch.
    fn keep(&self, doi: &str, source: Source, url: &str, body: Value) {
        let Some(path) = self.cache_path(doi, source) else {
            return;
        };
        let wrapped = serde_json::json!({ "source_url": url, "body": body });
        if let Err(e) = write_cache_file(&path, &wrapped) {
            tracing::warn!("could not keep {} in the cache: {e}", path.display());
        }
    }

    /// `<cache>/<source>/<doi>.json`, the DOI lower-cased and made safe as a file name. The file
    /// holds `{"source_url": <address asked>, "body": <the answer>}`: the raw answer, so a
    /// better parser later reads more from it without asking again.
    pub fn cache_path(&self, doi: &str, source: Source) -> Option<PathBuf> {
        let dir = self.options.cache_dir.as_ref()?;
        Some(
            dir.join(source.as_str())
                .join(format!("{}.json", file_name_of(&doi.to_lowercase()))),
        )
    }
}

fn write_cache_file(path: &Path, value: &Value) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut file, value)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A DOI as a file name: letters, digits, `.` and `-` stay; every other byte becomes `_xx`
/// (its hex), so two DOIs never share a file.
fn file_name_of(doi: &str) -> String {
    let mut out = String::with_capacity(doi.len());
    for b in doi.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

fn base(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

/// A DOI in a URL path: its `/` stay (the resolvers expect them), characters that would end or
/// change the path (`?`, `#`, `%`, spaces, `<` …) are percent-encoded.
fn encode_doi(doi: &str) -> String {
    let mut out = String::with_capacity(doi.len());
    for b in doi.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:;()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    }
}

fn redirect_target(response: &Response, url: &Url) -> Result<Url, DoiError> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| DoiError::Transport {
            url: url.to_string(),
            message: format!("{} redirect without a Location header", response.status()),
        })?;
    url.join(location).map_err(|e| DoiError::Transport {
        url: url.to_string(),
        message: format!("redirect to an invalid address {location:?} ({e})"),
    })
}

/// `Retry-After` in seconds (the form Crossref and DataCite send).
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

mod bibtex;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalises_every_written_form() {
        for input in [
            "10.1021/ACS.orglett.9b00971",
            "  doi:10.1021/acs.orglett.9b00971 ",
            "DOI:10.1021/acs.orglett.9b00971",
            "https://doi.org/10.1021/acs.orglett.9b00971",
            "HTTPS://DOI.ORG/10.1021/acs.orglett.9b00971",
            "http://dx.doi.org/10.1021/acs.orglett.9b00971",
        ] {
            assert_eq!(
                normalise(input).unwrap(),
                "10.1021/acs.orglett.9b00971",
                "{input}"
            );
        }
    }

    #[test]
    fn a_malformed_doi_says_what_a_doi_looks_like() {
        let e = normalise("11.1000/x").unwrap_err();
        assert!(matches!(e, DoiError::Malformed { .. }));
        let message = e.to_string();
        assert!(message.contains("\"11.1000/x\" is not a DOI"), "{message}");
        assert!(message.contains("10.1234/abcd"), "{message}");
        assert!(normalise("https://example.org/10.1/x").is_err());
        assert!(normalise("").is_err());
    }

    #[test]
    fn initials_of_given_names() {
        assert_eq!(initials("Steven J."), "S. J.");
        assert_eq!(initials("Jonathan R. J."), "J. R. J.");
        assert_eq!(initials("Jean-Paul"), "J.-P.");
        assert_eq!(initials("Ēriks"), "Ē.");
        assert_eq!(
            person_name("Smith", Some("Amos B."), Some("III")),
            "Smith, A. B., III"
        );
    }

    #[test]
    fn jats_is_stripped_to_paragraphs() {
        let jats = "<jats:title>Abstract</jats:title><jats:p>A <jats:italic>fast</jats:italic> \
                    test &amp; more &lt;5&gt;.</jats:p><jats:sec><jats:title>Methods</jats:title>\
                    <jats:p>Second&#x2009;one.</jats:p></jats:sec>";
        assert_eq!(
            strip_markup(jats),
            "A fast test & more <5>.\n\nMethods\n\nSecond one."
        );
        assert_eq!(strip_markup("plain & simple"), "plain & simple");
        assert_eq!(
            strip_markup("<p>P < 0.05 and sizes <5 mm > 2 mm</p>"),
            "P < 0.05 and sizes <5 mm > 2 mm"
        );
    }

    #[test]
    fn licences_from_rights() {
        let spdx = json!([{"rightsIdentifier": "cc-by-4.0", "rightsIdentifierScheme": "SPDX"}]);
        assert_eq!(licence_of(&spdx).as_deref(), Some("CC-BY-4.0"));
        let url = json!([{"rights": "open access", "rightsUri": "info:eu-repo/semantics/openAccess"},
                         {"rightsUri": "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode"}]);
        assert_eq!(licence_of(&url).as_deref(), Some("CC-BY-NC-SA-4.0"));
        let odc = json!([{"rightsUri": "https://opendatacommons.org/licenses/by/1-0/"}]);
        assert_eq!(licence_of(&odc).as_deref(), Some("ODC-By-1.0"));
        let none = json!([{"rights": "Restricted access"}]);
        assert_eq!(licence_of(&none), None);
    }

    #[test]
    fn page_ranges_get_plain_hyphens() {
        assert_eq!(plain_hyphens("2918\u{2013}2922"), "2918-2922");
        assert_eq!(plain_hyphens("2918--2922"), "2918-2922");
        assert_eq!(plain_hyphens("e123"), "e123");
    }

    #[test]
    fn cache_file_names_are_safe_and_distinct() {
        assert_eq!(file_name_of("10.1000/a_b"), "10.1000_2fa_5fb");
        assert_ne!(file_name_of("10.1/a/b"), file_name_of("10.1/a_b"));
    }

    #[test]
    fn a_record_needs_a_title_and_a_publication_its_authors() {
        let no_title = json!({"type": "article-journal", "DOI": "10.1/x", "author": [{"family": "A", "given": "B"}]});
        let e = Record::from_csl(&no_title, "u").unwrap_err();
        assert_eq!(e.to_string(), "the record of 10.1/x has no title");
        let no_authors = json!({"type": "article-journal", "DOI": "10.1/x", "title": "T"});
        let e = Record::from_csl(&no_authors, "u").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the record of 10.1/x names no authors, but a publication of type \"article-journal\" \
             needs at least one"
        );
        let dataset = json!({"type": "dataset", "DOI": "10.1/x", "title": "T"});
        assert!(Record::from_csl(&dataset, "u").is_ok());
    }
}
