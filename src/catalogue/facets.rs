//! Facets: the vocabulary-backed dimensions entries can be filtered by, and counting entries per value.
//!
//! Search builds disjunctive counts on top of `FacetKind::values_of`; this module only knows entries
//! and the vocabulary.

use serde::Serialize;

use super::entry::Entry;
use super::vocabulary::{VocabName, Vocabulary};

/// The value used for entries with no priority tier.
pub const NO_TIER: &str = "none";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetKind {
    Tier,
    Modality,
    BodyPart,
    Access,
    Species,
    Task,
    Domain,
}

impl FacetKind {
    pub const ALL: [FacetKind; 7] = [
        FacetKind::Tier,
        FacetKind::Modality,
        FacetKind::BodyPart,
        FacetKind::Access,
        FacetKind::Species,
        FacetKind::Task,
        FacetKind::Domain,
    ];

    /// The key used in JSON output and saved filters (the catalogue's field name where one exists).
    pub fn key(self) -> &'static str {
        match self {
            FacetKind::Tier => "tier",
            FacetKind::Modality => "modalities",
            FacetKind::BodyPart => "body_parts",
            FacetKind::Access => "access",
            FacetKind::Species => "species",
            FacetKind::Task => "tasks",
            FacetKind::Domain => "domain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FacetKind::Tier => "Priority tier",
            FacetKind::Modality => "Modality",
            FacetKind::BodyPart => "Body part",
            FacetKind::Access => "Access",
            FacetKind::Species => "Species",
            FacetKind::Task => "Task",
            FacetKind::Domain => "Domain",
        }
    }

    pub fn vocab(self) -> VocabName {
        match self {
            FacetKind::Tier => VocabName::Tiers,
            FacetKind::Modality => VocabName::Modalities,
            FacetKind::BodyPart => VocabName::BodyParts,
            FacetKind::Access => VocabName::AccessLevels,
            FacetKind::Species => VocabName::Species,
            FacetKind::Task => VocabName::Tasks,
            FacetKind::Domain => VocabName::Domains,
        }
    }

    /// The entry's values for this facet (a tier-less entry has the value `none`).
    pub fn values_of(self, entry: &Entry) -> Vec<&str> {
        match self {
            FacetKind::Tier => vec![match entry.tier {
                Some(1) => "1",
                Some(2) => "2",
                Some(3) => "3",
                Some(_) | None => NO_TIER,
            }],
            FacetKind::Modality => entry.modalities.iter().map(String::as_str).collect(),
            FacetKind::BodyPart => entry.body_parts.iter().map(String::as_str).collect(),
            FacetKind::Access => vec![entry.access.level.as_str()],
            FacetKind::Species => entry.species.iter().map(String::as_str).collect(),
            FacetKind::Task => entry.tasks.iter().map(String::as_str).collect(),
            FacetKind::Domain => vec![entry.domain.as_str()],
        }
    }

    /// All values in vocabulary order (plus `none` for tiers).
    pub fn all_values(self, vocab: &Vocabulary) -> Vec<(String, String)> {
        let mut values: Vec<(String, String)> = vocab
            .terms(self.vocab())
            .iter()
            .map(|(k, t)| (k.clone(), t.label.clone()))
            .collect();
        if self == FacetKind::Tier {
            values.push((NO_TIER.to_owned(), "No tier".to_owned()));
        }
        values
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetCounts {
    pub facet: FacetKind,
    pub label: &'static str,
    pub values: Vec<FacetValue>,
}

/// Counts `entries` per value of `facet`, every vocabulary value listed (zero counts included).
pub fn count<'e>(
    facet: FacetKind,
    entries: impl IntoIterator<Item = &'e Entry>,
    vocab: &Vocabulary,
) -> FacetCounts {
    let mut values: Vec<FacetValue> = facet
        .all_values(vocab)
        .into_iter()
        .map(|(value, label)| FacetValue {
            value,
            label,
            count: 0,
        })
        .collect();
    for entry in entries {
        for v in facet.values_of(entry) {
            if let Some(slot) = values.iter_mut().find(|fv| fv.value == v) {
                slot.count += 1;
            }
        }
    }
    FacetCounts {
        facet,
        label: facet.label(),
        values,
    }
}
