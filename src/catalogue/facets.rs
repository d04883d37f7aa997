//! Facets: the vocabulary-backed dimensions entries can be filtered by, and counting entries per value.
//!
//! Search builds disjunctive counts on top of `FacetKind::values_of`; this module only knows entries
//! and the vocabulary.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::entry::Entry;
use super::vocabulary::{VocabName, Vocabulary};

/// The value used for entries with no priority tier.
pub const NO_TIER: &str = "none";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetKind {
    Tier,
    Modality,
    BodyPart,
    Access,
    Species,
    Task,
    Domain,
    CommercialUse,
    LicenceFamily,
}

impl FacetKind {
    /// The facets that describe what the data are (their labels and synonyms are searchable).
    pub const DESCRIPTIVE: [FacetKind; 5] = [
        FacetKind::Modality,
        FacetKind::BodyPart,
        FacetKind::Species,
        FacetKind::Task,
        FacetKind::Domain,
    ];

    pub const ALL: [FacetKind; 9] = [
        FacetKind::Tier,
        FacetKind::Modality,
        FacetKind::BodyPart,
        FacetKind::Access,
        FacetKind::Species,
        FacetKind::Task,
        FacetKind::Domain,
        FacetKind::CommercialUse,
        FacetKind::LicenceFamily,
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
            FacetKind::CommercialUse => "commercial_use",
            FacetKind::LicenceFamily => "licence_family",
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
            FacetKind::CommercialUse => "Commercial use",
            FacetKind::LicenceFamily => "Licence family",
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
            FacetKind::CommercialUse => VocabName::UsagePermissions,
            FacetKind::LicenceFamily => VocabName::LicenceFamilies,
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
            // An entry whose terms were not checked yet counts as unknown.
            FacetKind::CommercialUse => vec![
                entry
                    .terms
                    .as_ref()
                    .map_or("unknown", |t| t.commercial_use.as_str()),
            ],
            // The loader fills in the family of standard licences (see `validate::parse_entry`).
            FacetKind::LicenceFamily => vec![entry.licence.family.as_deref().unwrap_or("unknown")],
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

/// Selected facet values: an entry matches when, for every facet with a selection, it has at least
/// one selected value (OR within a facet, AND across facets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Selection(pub BTreeMap<FacetKind, BTreeSet<String>>);

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeSet::is_empty)
    }

    pub fn contains(&self, facet: FacetKind, value: &str) -> bool {
        self.0.get(&facet).is_some_and(|s| s.contains(value))
    }

    /// Selects `value` if it was not selected, else deselects it.
    pub fn toggle(&mut self, facet: FacetKind, value: &str) {
        let set = self.0.entry(facet).or_default();
        if !set.remove(value) {
            set.insert(value.to_owned());
        }
        if set.is_empty() {
            self.0.remove(&facet);
        }
    }

    pub fn insert(&mut self, facet: FacetKind, value: impl Into<String>) {
        self.0.entry(facet).or_default().insert(value.into());
    }

    pub fn matches(&self, entry: &Entry) -> bool {
        self.matches_ignoring(entry, None)
    }

    /// Matches while ignoring one facet's own selection: the basis of disjunctive counts, where
    /// each facet's counts show what ticking one more of its values would add.
    pub fn matches_ignoring(&self, entry: &Entry, ignored: Option<FacetKind>) -> bool {
        self.0.iter().all(|(facet, selected)| {
            Some(*facet) == ignored
                || selected.is_empty()
                || facet.values_of(entry).iter().any(|v| selected.contains(*v))
        })
    }

    /// Every (facet, value) pair selected, for chips in a front end.
    pub fn pairs(&self) -> impl Iterator<Item = (FacetKind, &str)> {
        self.0
            .iter()
            .flat_map(|(f, values)| values.iter().map(move |v| (*f, v.as_str())))
    }
}

/// A word that names no value of a facet, with the values it could have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown {} \"{text}\"; {}accepted: {}",
    .facet.vocab().noun(),
    .suggestion.as_ref().map(|s| format!("did you mean \"{s}\"? ")).unwrap_or_default(),
    .accepted.join(", ")
)]
pub struct UnknownValue {
    pub facet: FacetKind,
    /// The word as given.
    pub text: String,
    /// The closest accepted key, when one is near enough to suggest.
    pub suggestion: Option<String>,
    /// Every key the facet accepts, in vocabulary order.
    pub accepted: Vec<String>,
}

/// Resolves a user's word for a facet value ("MRI", "mr", "Magnetic resonance") to its key.
pub fn resolve_value(
    facet: FacetKind,
    text: &str,
    vocab: &Vocabulary,
) -> Result<String, UnknownValue> {
    if facet == FacetKind::Tier && text.trim().eq_ignore_ascii_case(NO_TIER) {
        return Ok(NO_TIER.to_owned());
    }
    let terms = vocab.terms(facet.vocab());
    if terms.contains_key(text) {
        return Ok(text.to_owned());
    }
    if let Some(key) = vocab.key_for_synonym(facet.vocab(), text) {
        return Ok(key.to_owned());
    }
    let accepted: Vec<String> = terms.keys().cloned().collect();
    let suggestion = crate::catalogue::validate::closest(text, accepted.iter().map(String::as_str))
        .map(str::to_owned);
    Err(UnknownValue {
        facet,
        text: text.to_owned(),
        suggestion,
        accepted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_name_the_facet_and_the_accepted_keys() {
        let vocab = crate::catalogue::bundled_vocabulary().unwrap();
        assert_eq!(resolve_value(FacetKind::Tier, "P2", &vocab).unwrap(), "2");
        assert_eq!(
            resolve_value(FacetKind::Tier, "None", &vocab).unwrap(),
            NO_TIER
        );
        let err = resolve_value(FacetKind::Tier, "4", &vocab).unwrap_err();
        assert_eq!(err.accepted, ["1", "2", "3"]);
        assert_eq!(err.suggestion.as_deref(), Some("1"));
        assert_eq!(
            err.to_string(),
            "unknown tier \"4\"; did you mean \"1\"? accepted: 1, 2, 3"
        );
        let err = resolve_value(FacetKind::Tier, "zzzzzz", &vocab).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown tier \"zzzzzz\"; accepted: 1, 2, 3"
        );
    }
}
