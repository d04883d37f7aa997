//! Turns catalogue entries into store documents: searchable fields, the text the embedder sees,
//! facet values, and a content hash so that only changed entries are re-indexed and re-embedded.

use sha2::{Digest, Sha256};

use crate::catalogue::facets::FacetKind;
use crate::catalogue::{Entry, VocabName, Vocabulary};
use crate::store::Document;

/// Labels and synonyms of the entry's facet values: "MR" also finds "MRI", "fMRI", "DTI".
fn keywords(entry: &Entry, vocab: &Vocabulary) -> String {
    let mut words = Vec::new();
    for facet in FacetKind::DESCRIPTIVE
        .into_iter()
        .chain([FacetKind::Access])
    {
        for value in facet.values_of(entry) {
            if let Some(term) = vocab.terms(facet.vocab()).get(value) {
                words.push(term.label.clone());
                words.extend(term.synonyms.iter().cloned());
                // A search for a standard code ("12738006", SNOMED CT for brain) finds the value.
                words.extend(term.codes.iter().map(|c| c.code.clone()));
            }
        }
    }
    words.extend(entry.file_formats.iter().cloned());
    // "derived from lidc-idri", so that a search for the datasets derived from another finds them.
    for r in &entry.relations {
        words.push(format!(
            "{} {}",
            vocab.label(VocabName::RelationKinds, &r.kind),
            r.target
        ));
    }
    words.join("; ")
}

/// The text embedded for semantic search: the name, aliases, summary and description, in that
/// order (the model reads at most 256 tokens, so the description's tail may be cut). Facet labels
/// are left out: they pushed description text past the window and lowered semantic ranking on the
/// dev queries (nDCG@10 0.942 with them, 0.949 without), and hybrid ranking has them anyway as
/// keywords.
pub fn embed_text(entry: &Entry) -> String {
    format!(
        "{}. {}. {} {}",
        entry.name,
        entry.aliases.join(", "),
        entry.summary,
        entry.description
    )
}

pub fn document(entry: &Entry, vocab: &Vocabulary) -> Document {
    let keywords = keywords(entry, vocab);
    let embed_text = embed_text(entry);
    let mut hasher = Sha256::new();
    // The origin says where the file lives, not what it says: it does not change the document.
    let mut content = entry.clone();
    content.origin = Default::default();
    hasher.update(serde_json::to_vec(&content).unwrap_or_default());
    hasher.update(keywords.as_bytes());
    hasher.update(embed_text.as_bytes());
    let content_hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let facets = FacetKind::ALL
        .iter()
        .flat_map(|&f| {
            f.values_of(entry)
                .into_iter()
                .map(move |v| (f.key().to_owned(), v.to_owned()))
        })
        .collect();
    Document {
        id: entry.id.clone(),
        content_hash,
        name: format!("{} {}", entry.name, entry.short_name),
        aliases: entry.aliases.join("; "),
        summary: entry.summary.clone(),
        description: entry.description.clone(),
        keywords,
        embed_text,
        tier: entry.tier,
        access: entry.access.level.clone(),
        domain: entry.domain.clone(),
        facets,
    }
}
