//! An entry's characteristics as labelled, human-readable rows, shared by every front end (the
//! CLI's `show` and the window's detail panel), so both say the same thing in the same order.

use super::entry::Entry;
use super::vocabulary::{VocabName, Vocabulary};

/// One row: a label, the value in words, and the entry field it comes from (for "unverified").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Characteristic {
    pub label: &'static str,
    pub value: String,
    pub field: &'static str,
}

fn labels(vocab: &Vocabulary, name: VocabName, keys: &[String]) -> String {
    keys.iter()
        .map(|k| vocab.label(name, k))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The characteristics of `e`, empty values left out.
pub fn characteristics(e: &Entry, vocab: &Vocabulary) -> Vec<Characteristic> {
    let with_how = |what: &str, how: &str| format!("{what} — {how}");
    let rows = [
        (
            "Domain",
            vocab.label(VocabName::Domains, &e.domain).to_owned(),
            "domain",
        ),
        (
            "Modalities",
            labels(vocab, VocabName::Modalities, &e.modalities),
            "modalities",
        ),
        (
            "Body parts",
            labels(vocab, VocabName::BodyParts, &e.body_parts),
            "body_parts",
        ),
        (
            "Species",
            labels(vocab, VocabName::Species, &e.species),
            "species",
        ),
        ("Tasks", labels(vocab, VocabName::Tasks, &e.tasks), "tasks"),
        (
            "Findings",
            labels(vocab, VocabName::FindingCategories, &e.finding_categories),
            "finding_categories",
        ),
        (
            "Clinical context",
            labels(vocab, VocabName::ClinicalContext, &e.clinical_context),
            "clinical_context",
        ),
        (
            "Ground truth",
            with_how(
                &labels(vocab, VocabName::GroundTruthKinds, &e.ground_truth.kinds),
                &e.ground_truth.description,
            ),
            "ground_truth",
        ),
        (
            "Validation",
            vocab
                .label(VocabName::ValidationStatuses, &e.validation_status)
                .to_owned(),
            "validation_status",
        ),
        (
            "Access",
            with_how(
                vocab.label(VocabName::AccessLevels, &e.access.level),
                &e.access.how,
            ),
            "access",
        ),
        ("Licence", e.licence.label().to_owned(), "licence"),
        (
            "Usage terms",
            e.licence.terms.clone().unwrap_or_default(),
            "licence",
        ),
        (
            "Acknowledgement",
            e.acknowledgement
                .as_ref()
                .map(|a| format!("\"{}\"", a.text))
                .unwrap_or_default(),
            "acknowledgement",
        ),
        // The figures with their units; the free-text note apart, labelled as a note (it may
        // describe something else than the data, such as a consortium's members).
        (
            "Size",
            e.size.as_ref().map(|s| s.summary()).unwrap_or_default(),
            "size",
        ),
        (
            "Size note",
            e.size
                .as_ref()
                .and_then(|s| s.note.clone())
                .unwrap_or_default(),
            "size",
        ),
        ("Formats", e.file_formats.join(", "), "file_formats"),
        (
            "Tier",
            e.tier.map_or("none".to_owned(), |t| {
                vocab.label(VocabName::Tiers, &t.to_string()).to_owned()
            }),
            "tier",
        ),
        (
            "Status",
            match &e.status_note {
                Some(note) => with_how(vocab.label(VocabName::Statuses, &e.status), note),
                None => vocab.label(VocabName::Statuses, &e.status).to_owned(),
            },
            "status",
        ),
    ];
    rows.into_iter()
        .filter(|(_, value, _)| !value.is_empty())
        .map(|(label, value, field)| Characteristic {
            label,
            value,
            field,
        })
        .collect()
}
