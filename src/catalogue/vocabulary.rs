//! The controlled vocabularies (`catalogue/vocabulary.toml`): every value a faceted field may take,
//! with its label, synonyms and standard code.
//!
//! Search uses the synonyms for query expansion and the loader uses them for did-you-mean hints; this
//! module only holds and looks up the terms.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub label: String,
    /// A short form for narrow places (table columns), where the label is too long and the value
    /// has no standard code to show instead: "LM" for light microscopy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system: Option<String>,
    /// For a licence: its family (a `licence_families` key), so that entries under a standard
    /// licence need not state it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Standard codes for the value (SNOMED CT, DICOM Body Part Examined, NCBI Taxonomy), each
    /// with the public file it was read from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<Code>,
}

/// A code of a standard terminology for a vocabulary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// "SNOMED CT", "DICOM Body Part Examined" or "NCBI Taxonomy".
    pub system: String,
    pub code: String,
    /// The code's meaning as its terminology words it ("Brain structure").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
    /// Where the code was read.
    pub source: String,
}

impl Term {
    /// "SNOMED CT 12738006 (Brain structure); DICOM Body Part Examined BRAIN", for hovers.
    pub fn codes_text(&self) -> String {
        self.codes
            .iter()
            .map(|c| match &c.meaning {
                Some(m) => format!("{} {} ({m})", c.system, c.code),
                None => format!("{} {}", c.system, c.code),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One vocabulary: its values in file order.
pub type Terms = IndexMap<String, Term>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub modalities: Terms,
    pub body_parts: Terms,
    pub species: Terms,
    pub access_levels: Terms,
    pub tiers: Terms,
    pub tasks: Terms,
    pub finding_categories: Terms,
    pub clinical_context: Terms,
    pub ground_truth_kinds: Terms,
    pub validation_statuses: Terms,
    pub domains: Terms,
    pub statuses: Terms,
    pub link_kinds: Terms,
    pub link_statuses: Terms,
    pub source_kinds: Terms,
    pub citation_types: Terms,
    pub licences: Terms,
    pub usage_permissions: Terms,
    pub licence_families: Terms,
    pub obligation_kinds: Terms,
    pub acknowledgement_places: Terms,
    pub relation_kinds: Terms,
    pub dimensionalities: Terms,
    pub tier_sources: Terms,
    pub additions: Terms,
    /// Groups of query terms that mean the same (abbreviations, phrasings) beyond facet synonyms.
    #[serde(default)]
    pub query_synonyms: Vec<SynonymGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub terms: Vec<String>,
}

/// The vocabularies by name, for code that handles them generically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VocabName {
    Modalities,
    BodyParts,
    Species,
    AccessLevels,
    Tiers,
    Tasks,
    FindingCategories,
    ClinicalContext,
    GroundTruthKinds,
    ValidationStatuses,
    Domains,
    Statuses,
    LinkKinds,
    LinkStatuses,
    SourceKinds,
    CitationTypes,
    Licences,
    UsagePermissions,
    LicenceFamilies,
    ObligationKinds,
    AcknowledgementPlaces,
    RelationKinds,
    Dimensionalities,
    TierSources,
    Additions,
}

impl VocabName {
    pub const ALL: [VocabName; 25] = [
        VocabName::Modalities,
        VocabName::BodyParts,
        VocabName::Species,
        VocabName::AccessLevels,
        VocabName::Tiers,
        VocabName::Tasks,
        VocabName::FindingCategories,
        VocabName::ClinicalContext,
        VocabName::GroundTruthKinds,
        VocabName::ValidationStatuses,
        VocabName::Domains,
        VocabName::Statuses,
        VocabName::LinkKinds,
        VocabName::LinkStatuses,
        VocabName::SourceKinds,
        VocabName::CitationTypes,
        VocabName::Licences,
        VocabName::UsagePermissions,
        VocabName::LicenceFamilies,
        VocabName::ObligationKinds,
        VocabName::AcknowledgementPlaces,
        VocabName::RelationKinds,
        VocabName::Dimensionalities,
        VocabName::TierSources,
        VocabName::Additions,
    ];

    /// A singular noun for messages: "unknown modality".
    pub fn noun(self) -> &'static str {
        match self {
            VocabName::Modalities => "modality",
            VocabName::BodyParts => "body part",
            VocabName::Species => "species",
            VocabName::AccessLevels => "access level",
            VocabName::Tiers => "tier",
            VocabName::Tasks => "task",
            VocabName::FindingCategories => "finding category",
            VocabName::ClinicalContext => "clinical context",
            VocabName::GroundTruthKinds => "ground-truth kind",
            VocabName::ValidationStatuses => "validation status",
            VocabName::Domains => "domain",
            VocabName::Statuses => "status",
            VocabName::LinkKinds => "link kind",
            VocabName::LinkStatuses => "link status",
            VocabName::SourceKinds => "source kind",
            VocabName::CitationTypes => "citation type",
            VocabName::Licences => "licence id",
            VocabName::UsagePermissions => "usage permission",
            VocabName::LicenceFamilies => "licence family",
            VocabName::ObligationKinds => "obligation kind",
            VocabName::AcknowledgementPlaces => "acknowledgement place",
            VocabName::RelationKinds => "relation kind",
            VocabName::Dimensionalities => "dimensionality",
            VocabName::TierSources => "tier source",
            VocabName::Additions => "way of adding an entry",
        }
    }
}

impl Vocabulary {
    pub fn terms(&self, name: VocabName) -> &Terms {
        match name {
            VocabName::Modalities => &self.modalities,
            VocabName::BodyParts => &self.body_parts,
            VocabName::Species => &self.species,
            VocabName::AccessLevels => &self.access_levels,
            VocabName::Tiers => &self.tiers,
            VocabName::Tasks => &self.tasks,
            VocabName::FindingCategories => &self.finding_categories,
            VocabName::ClinicalContext => &self.clinical_context,
            VocabName::GroundTruthKinds => &self.ground_truth_kinds,
            VocabName::ValidationStatuses => &self.validation_statuses,
            VocabName::Domains => &self.domains,
            VocabName::Statuses => &self.statuses,
            VocabName::LinkKinds => &self.link_kinds,
            VocabName::LinkStatuses => &self.link_statuses,
            VocabName::SourceKinds => &self.source_kinds,
            VocabName::CitationTypes => &self.citation_types,
            VocabName::Licences => &self.licences,
            VocabName::UsagePermissions => &self.usage_permissions,
            VocabName::LicenceFamilies => &self.licence_families,
            VocabName::ObligationKinds => &self.obligation_kinds,
            VocabName::AcknowledgementPlaces => &self.acknowledgement_places,
            VocabName::RelationKinds => &self.relation_kinds,
            VocabName::Dimensionalities => &self.dimensionalities,
            VocabName::TierSources => &self.tier_sources,
            VocabName::Additions => &self.additions,
        }
    }

    /// The label of `key` in vocabulary `name`, or the key itself when unknown.
    pub fn label<'a>(&'a self, name: VocabName, key: &'a str) -> &'a str {
        self.terms(name).get(key).map_or(key, |t| t.label.as_str())
    }

    /// The short form of a value for narrow places: its `short` form, else its DICOM-style code
    /// when it has one (modalities: "MR"), else its label.
    pub fn short_label<'a>(&'a self, name: VocabName, key: &'a str) -> &'a str {
        match self.terms(name).get(key) {
            Some(Term {
                short: Some(short), ..
            }) => short,
            Some(Term { code: Some(_), .. }) if name == VocabName::Modalities => key,
            Some(term) => &term.label,
            None => key,
        }
    }

    /// The key whose synonym (or label, case-insensitively) is `text`, if any: "MRI" → "MR".
    pub fn key_for_synonym(&self, name: VocabName, text: &str) -> Option<&str> {
        let wanted = text.trim().to_lowercase();
        self.terms(name).iter().find_map(|(key, term)| {
            let hit = key.to_lowercase() == wanted
                || term.label.to_lowercase() == wanted
                || term.synonyms.iter().any(|s| s.to_lowercase() == wanted);
            hit.then_some(key.as_str())
        })
    }
}
