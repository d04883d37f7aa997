//! The typed form of one catalogue entry (`catalogue/<id>.toml`).
//!
//! These structs mirror the file format field for field, so that JSON output uses the same names as
//! the catalogue files. They are also the one statement of the file format: `validate` derives its
//! schema (field names, which are required, their shapes) from their serde impls, so adding a field
//! here is all the structural checking needs. Field types are limited to what a catalogue file holds:
//! strings, integers, lists of strings, structs (tables), lists of structs, and `Option` of these.
//! They hold data only: checking values against the vocabularies is the job of `validate`, and
//! nothing here reads files.

use serde::{Deserialize, Serialize};

/// Where an entry came from: compiled into the binary, or a user's catalogue folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum Origin {
    #[default]
    Bundled,
    /// A user file, with its path. A user entry with a bundled id overrides the bundled one.
    User(String),
}

impl Origin {
    pub fn is_user(&self) -> bool {
        matches!(self, Origin::User(_))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub short_name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub summary: String,
    pub description: String,
    pub domain: String,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
    pub species: Vec<String>,
    pub tasks: Vec<String>,
    pub finding_categories: Vec<String>,
    pub clinical_context: Vec<String>,
    pub validation_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    #[serde(default)]
    pub file_formats: Vec<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    pub homepage: String,
    #[serde(default)]
    pub unverified: Vec<String>,
    /// When this entry's facts were last checked against its sources (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    /// Whose assessment the tier is (`tier_sources`: the seed's, MedAtlas's own, the user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_source: Option<String>,
    /// Why a curated tier differs from the one the expansion spec proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_note: Option<String>,
    /// How an entry that did not come from the seed was added (`additions`); exactly one of
    /// `added` and `[seed]` is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<String>,
    /// The shape of the images (`dimensionalities`: 2D, 3D, 4D, video, whole-slide).
    #[serde(default)]
    pub dimensionality: Vec<String>,
    /// How many sites or centres acquired the data, where a source states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<u64>,
    /// ISO 3166-1 alpha-2 codes of the countries where the data were acquired.
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_citation: Option<String>,
    pub ground_truth: GroundTruth,
    pub access: Access,
    pub licence: Licence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<Acknowledgement>,
    /// What a user may do with the data and must do in return; absent: not yet checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// Typed links to other entries (derived from, part of, successor of, same data as).
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// The dataset's versions or releases, so that a user can say which one they used.
    #[serde(default)]
    pub releases: Vec<Release>,
    pub sources: Vec<Source>,
    /// What the seed list said; absent for entries added otherwise (see `added`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Seed>,
    /// A user's entry drafted from a DOI or BibTeX record and not yet confirmed: its suggested
    /// facts are unverified until the user checks them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// Set by the loader, never read from a file.
    #[serde(default, skip_deserializing)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundTruth {
    pub kinds: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    pub level: String,
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// An SPDX id known to the vocabulary, `custom` (then `name` is required) or `unknown`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// The licence family (`licence_families`); derived from the vocabulary for standard ids,
    /// stated here for `custom` and `unknown` ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
}

impl Licence {
    pub const CUSTOM: &'static str = "custom";
    pub const UNKNOWN: &'static str = "unknown";

    /// The licence family: the vocabulary's for a standard id, else the one stated, else unknown.
    pub fn family<'a>(&'a self, vocab: &'a crate::catalogue::Vocabulary) -> &'a str {
        vocab
            .licences
            .get(&self.id)
            .and_then(|t| t.family.as_deref())
            .or(self.family.as_deref())
            .unwrap_or("unknown")
    }

    /// A short human label: the SPDX id, the custom licence's name, or "unknown".
    pub fn label(&self) -> &str {
        match (self.id.as_str(), &self.name) {
            (Self::CUSTOM, Some(name)) => name,
            (id, _) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// The provider's required wording, verbatim.
    pub text: String,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    pub source: String,
}

/// What a user may do with a dataset, and what they must do in return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// `usage_permissions`: allowed, not-allowed, with-permission, varies, unknown.
    pub commercial_use: String,
    pub redistribution: String,
    /// Required when a permission is unknown (what was checked), varies (where to look) or
    /// inferred ("no licence stated; all rights reserved by default").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Which of `commercial_use` and `redistribution` are inferences rather than stated terms.
    #[serde(default)]
    pub inferred: Vec<String>,
    /// Where the permissions are stated (or were looked for).
    pub source: String,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
}

/// One thing a user must do: cite, acknowledge, register a project, not upload to AI services…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// `obligation_kinds`.
    pub kind: String,
    /// What exactly, in the provider's words where they can be quoted.
    pub text: String,
    /// For an acknowledgement: where it goes (`acknowledgement_places`).
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    pub source: String,
}

/// A typed link to another entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// `relation_kinds`: derived-from, part-of, successor-of, same-data-as.
    pub kind: String,
    /// The other entry's id.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One version or release of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub name: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Size {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studies: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// The download size in bytes, where a source gives it (the free text stays in `volume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The unit of a dataset's headline size, in the order sizes are compared: datasets counted in
/// subjects first, then cases, images, studies, series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeUnit {
    Subjects,
    Cases,
    Images,
    Studies,
    Series,
}

impl SizeUnit {
    pub fn plural(self) -> &'static str {
        match self {
            SizeUnit::Subjects => "subjects",
            SizeUnit::Cases => "cases",
            SizeUnit::Images => "images",
            SizeUnit::Studies => "studies",
            SizeUnit::Series => "series",
        }
    }
}

impl Size {
    /// The one figure that stands for the dataset's size, so that sizes can be compared: subjects,
    /// else cases, else images, else studies, else series.
    pub fn headline(&self) -> Option<(u64, SizeUnit)> {
        [
            (self.subjects, SizeUnit::Subjects),
            (self.cases, SizeUnit::Cases),
            (self.images, SizeUnit::Images),
            (self.studies, SizeUnit::Studies),
            (self.series, SizeUnit::Series),
        ]
        .into_iter()
        .find_map(|(n, unit)| n.map(|n| (n, unit)))
    }

    /// A compact human summary such as "1,566 subjects · 10,239 images", empty when no count is known.
    pub fn summary(&self) -> String {
        let counts = [
            (self.subjects, "subjects"),
            (self.cases, "cases"),
            (self.studies, "studies"),
            (self.series, "series"),
            (self.images, "images"),
        ];
        let mut parts: Vec<String> = counts
            .iter()
            .filter_map(|(n, what)| n.map(|n| format!("{} {what}", group_thousands(n))))
            .collect();
        if let Some(volume) = &self.volume {
            parts.push(volume.clone());
        }
        parts.join(" · ")
    }
}

/// Two spellings of one address: equal but for a trailing slash.
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Formats 10239 as "10,239".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub kind: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// `paper` (a publication about the data) or `dataset` (the data's own citation).
    pub role: String,
    /// A CSL item type, e.g. `article-journal` or `dataset`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Empty only for a resource (a web site, a repository, a data set) whose source names no author.
    #[serde(default)]
    pub authors: Vec<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Absent only for a resource whose source gives no date ("n.d." in author-date styles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmcid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arxiv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isbn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub evidence: String,
    pub source: String,
    #[serde(default)]
    pub unverified: Vec<String>,
    /// The provider asks users of the data to cite this one.
    #[serde(default)]
    pub required: bool,
}

impl Citation {
    /// Publication types: these always name their authors and year; a resource (a data set, a web
    /// page) may lack either when its source gives none.
    pub const PUBLICATION_TYPES: [&'static str; 7] = [
        "article-journal",
        "paper-conference",
        "chapter",
        "book",
        "article",
        "thesis",
        "report",
    ];

    /// True for a publication (see [`Citation::PUBLICATION_TYPES`]).
    pub fn is_publication(&self) -> bool {
        Self::PUBLICATION_TYPES.contains(&self.kind.as_str())
    }

    /// True when the citation has a DOI whose value no note marks as unverified.
    pub fn has_verified_doi(&self) -> bool {
        self.doi.is_some() && !self.unverified.iter().any(|f| f == "doi")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub url: String,
    pub kind: String,
    #[serde(default)]
    pub supports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    pub name: String,
    pub section: String,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub corrections: Vec<String>,
}

impl Entry {
    /// The link that records the homepage's own kind, status and note, if the entry lists one.
    pub fn homepage_link(&self) -> Option<&Link> {
        self.links.iter().find(|l| same_url(&l.url, &self.homepage))
    }

    /// The links other than the homepage (which is shown once, on its own).
    pub fn other_links(&self) -> impl Iterator<Item = &Link> {
        self.links
            .iter()
            .filter(|l| !same_url(&l.url, &self.homepage))
    }

    /// The year of the first release, from the releases' dates.
    pub fn first_release_year(&self) -> Option<i32> {
        self.releases
            .iter()
            .filter_map(|r| r.date.as_deref()?.get(..4)?.parse().ok())
            .min()
    }

    /// Whether the named top-level field is marked as not verified.
    pub fn is_unverified(&self, field: &str) -> bool {
        self.unverified.iter().any(|f| f == field)
    }

    /// True when at least one citation carries a DOI not marked unverified.
    pub fn has_verified_doi(&self) -> bool {
        self.citations.iter().any(Citation::has_verified_doi)
    }

    /// True when any field or citation field is marked unverified.
    pub fn has_unverified_fields(&self) -> bool {
        !self.unverified.is_empty() || self.citations.iter().any(|c| !c.unverified.is_empty())
    }
}
