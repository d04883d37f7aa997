//! Datasets side by side: one row per fact a researcher compares on (modalities, sizes, access,
//! licence and terms, releases, citations, relations ...), one column per dataset, and whether the
//! row differs between them. Rendered as CSV and Markdown here; the window and `compare --json`
//! use the rows themselves. Values are the vocabulary's labels, and "—" where the catalogue has no
//! value, so that an unknown never looks like a difference of substance.

use serde::Serialize;

use crate::catalogue::describe::human_bytes;
use crate::catalogue::{Catalogue, Entry, VocabName, Vocabulary};

/// A comparison holds 2 to 6 datasets.
pub const MIN_DATASETS: usize = 2;
pub const MAX_DATASETS: usize = 6;

/// What is shown where the catalogue has no value.
pub const NONE: &str = "—";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// A stable key (`"licence_family"`), as in the catalogue's field names where there is one.
    pub field: &'static str,
    pub label: &'static str,
    /// One value per dataset, in the comparison's order.
    pub values: Vec<String>,
    /// True when the values are not all the same.
    pub differs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompareError {
    #[error("compare needs {MIN_DATASETS} to {MAX_DATASETS} datasets, got {0}")]
    Count(usize),
    #[error("unknown dataset id \"{0}\"")]
    Unknown(String),
    #[error("\"{0}\" is named twice")]
    Twice(String),
}

fn labels(vocab: &Vocabulary, name: VocabName, keys: &[String]) -> String {
    if keys.is_empty() {
        return NONE.to_owned();
    }
    keys.iter()
        .map(|k| vocab.label(name, k).to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_none(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| NONE.to_owned())
}

fn count(n: Option<u64>) -> String {
    or_none(n.map(|n| n.to_string()))
}

/// Every row's (field, label, value of one entry).
fn facts(e: &Entry, catalogue: &Catalogue) -> Vec<(&'static str, &'static str, String)> {
    let v = &catalogue.vocabulary;
    let size = e.size.as_ref();
    let terms = e.terms.as_ref();
    vec![
        (
            "modalities",
            "Modalities",
            labels(v, VocabName::Modalities, &e.modalities),
        ),
        (
            "body_parts",
            "Body parts",
            labels(v, VocabName::BodyParts, &e.body_parts),
        ),
        (
            "species",
            "Species",
            labels(v, VocabName::Species, &e.species),
        ),
        ("subjects", "Subjects", count(size.and_then(|s| s.subjects))),
        ("images", "Images", count(size.and_then(|s| s.images))),
        ("studies", "Studies", count(size.and_then(|s| s.studies))),
        (
            "download_bytes",
            "Download size",
            or_none(size.and_then(|s| s.download_bytes).map(human_bytes)),
        ),
        (
            "dimensionality",
            "Dimensionality",
            labels(v, VocabName::Dimensionalities, &e.dimensionality),
        ),
        ("sites", "Sites", count(e.sites)),
        (
            "countries",
            "Countries",
            or_none(Some(e.countries.join(", "))),
        ),
        ("tasks", "Tasks", labels(v, VocabName::Tasks, &e.tasks)),
        (
            "ground_truth",
            "Ground truth",
            labels(v, VocabName::GroundTruthKinds, &e.ground_truth.kinds),
        ),
        (
            "access",
            "Access",
            v.label(VocabName::AccessLevels, &e.access.level).to_owned(),
        ),
        ("access_how", "How to get it", e.access.how.clone()),
        ("licence", "Licence", e.licence.label().to_owned()),
        (
            "licence_family",
            "Licence family",
            v.label(VocabName::LicenceFamilies, e.licence.family(v))
                .to_owned(),
        ),
        (
            "commercial_use",
            "Commercial use",
            or_none(terms.map(|t| {
                v.label(VocabName::UsagePermissions, &t.commercial_use)
                    .to_owned()
            })),
        ),
        (
            "redistribution",
            "Redistribution",
            or_none(terms.map(|t| {
                v.label(VocabName::UsagePermissions, &t.redistribution)
                    .to_owned()
            })),
        ),
        (
            "acknowledgement",
            "Required acknowledgement",
            or_none(e.acknowledgement.as_ref().map(|a| a.text.clone())),
        ),
        (
            "file_formats",
            "File formats",
            or_none(Some(e.file_formats.join(", "))),
        ),
        (
            "tier",
            "Priority tier",
            or_none(e.tier.map(|t| t.to_string())),
        ),
        (
            "status",
            "Status",
            v.label(VocabName::Statuses, &e.status).to_owned(),
        ),
        (
            "releases",
            "Releases",
            or_none(Some(
                e.releases
                    .iter()
                    .map(|r| match &r.date {
                        Some(d) => format!("{} ({d})", r.name),
                        None => r.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        ),
        (
            "first_release_year",
            "First release year",
            or_none(e.first_release_year().map(|y| y.to_string())),
        ),
        ("citations", "Citations", e.citations.len().to_string()),
        (
            "related",
            "Related datasets",
            or_none(Some(
                e.relations
                    .iter()
                    .map(|r| {
                        let target = catalogue
                            .get(&r.target)
                            .map_or(r.target.as_str(), |t| t.short_name.as_str());
                        format!("{} {target}", v.label(VocabName::RelationKinds, &r.kind))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        ),
    ]
}

impl Comparison {
    /// Compares the datasets `ids` (2 to 6, each once) in that order.
    pub fn of(catalogue: &Catalogue, ids: &[String]) -> Result<Comparison, CompareError> {
        if !(MIN_DATASETS..=MAX_DATASETS).contains(&ids.len()) {
            return Err(CompareError::Count(ids.len()));
        }
        let mut entries = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(CompareError::Twice(id.clone()));
            }
            entries.push(
                catalogue
                    .get(id)
                    .ok_or_else(|| CompareError::Unknown(id.clone()))?,
            );
        }
        let columns: Vec<Vec<(&'static str, &'static str, String)>> =
            entries.iter().map(|e| facts(e, catalogue)).collect();
        let rows = (0..columns[0].len())
            .map(|r| {
                let values: Vec<String> = columns.iter().map(|c| c[r].2.clone()).collect();
                Row {
                    field: columns[0][r].0,
                    label: columns[0][r].1,
                    differs: values.iter().any(|v| v != &values[0]),
                    values,
                }
            })
            .collect();
        Ok(Comparison {
            ids: entries.iter().map(|e| e.id.clone()).collect(),
            names: entries.iter().map(|e| e.short_name.clone()).collect(),
            rows,
        })
    }

    /// RFC 4180 CSV: a header of `field`, `differs` and the datasets' ids, then one line per row.
    pub fn to_csv(&self) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        let header: Vec<String> = ["field", "differs"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.ids.iter().map(|id| quote(id)))
            .collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let line: Vec<String> = [quote(row.label), row.differs.to_string()]
                .into_iter()
                .chain(row.values.iter().map(|v| quote(v)))
                .collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// A GitHub-flavoured Markdown table; the labels of rows that differ are in bold.
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
        let mut out = format!(
            "| | {} |\n|---|{}\n",
            self.names
                .iter()
                .map(|n| cell(n))
                .collect::<Vec<_>>()
                .join(" | "),
            "---|".repeat(self.names.len())
        );
        for row in &self.rows {
            let label = if row.differs {
                format!("**{}**", row.label)
            } else {
                row.label.to_owned()
            };
            out.push_str(&format!(
                "| {label} | {} |\n",
                row.values
                    .iter()
                    .map(|v| cell(v))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        out
    }
}
