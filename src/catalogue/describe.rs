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
        (
            "Licence",
            format!(
                "{} ({})",
                e.licence.label(),
                vocab.label(VocabName::LicenceFamilies, e.licence.family(vocab))
            ),
            "licence",
        ),
        ("Terms", terms_summary(e, vocab), "terms"),
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
        (
            "Download size",
            e.size
                .as_ref()
                .and_then(|s| s.download_bytes)
                .map(human_bytes)
                .unwrap_or_default(),
            "size",
        ),
        (
            "Shape",
            labels(vocab, VocabName::Dimensionalities, &e.dimensionality),
            "dimensionality",
        ),
        (
            "Sites",
            e.sites.map(|n| n.to_string()).unwrap_or_default(),
            "sites",
        ),
        ("Countries", e.countries.join(", "), "countries"),
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
        (
            "Releases",
            e.releases
                .iter()
                .map(|r| match &r.date {
                    Some(date) => format!("{} ({date})", r.name),
                    None => r.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            "releases",
        ),
        (
            "Related",
            e.relations
                .iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        vocab
                            .label(VocabName::RelationKinds, &r.kind)
                            .to_lowercase(),
                        r.target
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            "relations",
        ),
        ("Checked", e.checked.clone().unwrap_or_default(), "checked"),
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

/// What a user may do and must do, in plain words: "Non-commercial use only; no redistribution;
/// cite 2 works; author-line rule". Says so plainly when the terms were not checked yet.
pub fn terms_summary(e: &Entry, vocab: &Vocabulary) -> String {
    let Some(terms) = &e.terms else {
        return "Usage terms not checked yet".to_owned();
    };
    let mut parts = vec![
        match terms.commercial_use.as_str() {
            "allowed" => "Commercial use allowed".to_owned(),
            "not-allowed" => "Non-commercial use only".to_owned(),
            "with-permission" => "Commercial use only with the provider's permission".to_owned(),
            other => format!(
                "Commercial use: {}",
                vocab
                    .label(VocabName::UsagePermissions, other)
                    .to_lowercase()
            ),
        },
        match terms.redistribution.as_str() {
            "allowed" => "redistribution allowed".to_owned(),
            "not-allowed" => "no redistribution".to_owned(),
            "with-permission" => "redistribution only with permission".to_owned(),
            other => format!(
                "redistribution: {}",
                vocab
                    .label(VocabName::UsagePermissions, other)
                    .to_lowercase()
            ),
        },
    ];
    let cites = terms
        .obligations
        .iter()
        .filter(|o| o.kind == "cite")
        .count();
    if cites > 0 {
        parts.push(format!(
            "cite as required ({cites} requirement{})",
            if cites == 1 { "" } else { "s" }
        ));
    }
    for o in terms.obligations.iter().filter(|o| o.kind != "cite") {
        let said = match (o.kind.as_str(), o.placement.as_deref()) {
            ("acknowledge", Some("author-line")) => "author-line rule".to_owned(),
            ("acknowledge", _) => "acknowledgement required".to_owned(),
            (kind, _) => vocab.label(VocabName::ObligationKinds, kind).to_lowercase(),
        };
        if !parts.contains(&said) {
            parts.push(said);
        }
    }
    if !terms.inferred.is_empty() {
        parts.push("(partly inferred)".to_owned());
    }
    parts.join("; ")
}

/// 1536000000 as "1.5 GB" (decimal units, as providers state sizes).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
