//! Draft entries for datasets a user adds from a paper's record (a DOI's metadata or a BibTeX
//! entry): the record becomes the citation and a source, the abstract the summary, and the title and
//! abstract suggest facet values by the vocabulary's labels and synonyms. Every suggested value is
//! listed as unverified, access, licence and usage terms start as "not checked yet", and the entry is
//! marked `draft = true` until the user confirms it. Nothing here fetches anything: the caller
//! supplies the record.

use std::collections::BTreeSet;

use super::entry::{Access, Citation, Entry, GroundTruth, Licence, Source, Terms};
use super::{VocabName, Vocabulary};

/// What a draft is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftInput {
    pub id: String,
    pub name: String,
    /// The record's citation (evidence and source already set by the caller).
    pub citation: Citation,
    /// The record's abstract, markup already stripped.
    pub abstract_text: Option<String>,
    /// The record's link, else the DOI's address.
    pub homepage: String,
    /// A licence the record states (an SPDX id of the vocabulary), if any.
    pub licence: Option<String>,
    /// Where the record was read (the DOI's address, or "BibTeX entry given by the user").
    pub source: String,
    /// The day the draft was made, `YYYY-MM-DD`.
    pub checked: String,
}

/// A facet value found in the title or abstract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub vocab: VocabName,
    pub value: String,
    /// The words that matched.
    pub matched: String,
}

/// The facets a draft suggests, in the order they are shown for confirmation.
pub const SUGGESTED: [VocabName; 4] = [
    VocabName::Modalities,
    VocabName::BodyParts,
    VocabName::Species,
    VocabName::Tasks,
];

/// True when `needle` occurs in `haystack` as whole words (both lower-case).
fn has_words(haystack: &str, needle: &str) -> bool {
    if needle.len() < 3 {
        // Two-letter codes ("CT", "MR") match only as written in capitals, handled by the caller.
        return false;
    }
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Facet values whose label or synonyms occur in `text` as whole words.
pub fn suggest(text: &str, vocab: &Vocabulary) -> Vec<Suggestion> {
    let lower = text.to_lowercase();
    let words: BTreeSet<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for name in SUGGESTED {
        for (key, term) in vocab.terms(name) {
            if matches!(key.as_str(), "other" | "multiple" | "not-applicable") {
                continue;
            }
            let candidates = std::iter::once(&term.label).chain(&term.synonyms);
            let found = candidates
                .clone()
                .find(|c| has_words(&lower, &c.to_lowercase()))
                // A short code ("CT", "MRI") counts only in capitals, as a word.
                .or_else(|| {
                    candidates.clone().find(|c| {
                        c.len() <= 4
                            && c.chars().all(|ch| ch.is_ascii_uppercase())
                            && words.contains(c.as_str())
                    })
                })
                .or_else(|| {
                    (name == VocabName::Modalities
                        && words.contains(key.as_str())
                        && key.len() <= 3)
                        .then_some(key)
                });
            if let Some(m) = found {
                out.push(Suggestion {
                    vocab: name,
                    value: key.clone(),
                    matched: m.clone(),
                });
            }
        }
    }
    out
}

/// The least cosine similarity for a label the embedding model finds near the record's text.
pub const NEAREST_MIN_COSINE: f32 = 0.35;

/// Facet values whose label the embedding model finds nearest the record's `text`: for each
/// suggested facet, the single nearest label at or above [`NEAREST_MIN_COSINE`], when the
/// vocabulary words did not already suggest it (`already`). Each says so in `matched`.
pub fn suggest_nearest(
    text: &str,
    vocab: &Vocabulary,
    embedder: &dyn crate::embed::Embedder,
    already: &[Suggestion],
) -> Result<Vec<Suggestion>, crate::embed::EmbedError> {
    let query = embedder.embed(text)?;
    let mut out = Vec::new();
    for name in SUGGESTED {
        let terms: Vec<(&String, &String)> = vocab
            .terms(name)
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "other" | "multiple" | "not-applicable"))
            .map(|(key, term)| (key, &term.label))
            .collect();
        let labels: Vec<&str> = terms.iter().map(|(_, label)| label.as_str()).collect();
        let vectors = embedder.embed_batch(&labels)?;
        let best = terms
            .iter()
            .zip(&vectors)
            .map(|((key, label), v)| (crate::embed::cosine(&query, v), *key, *label))
            .filter(|(c, _, _)| *c >= NEAREST_MIN_COSINE)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((cosine, key, label)) = best
            && !already.iter().any(|s| s.vocab == name && &s.value == key)
        {
            out.push(Suggestion {
                vocab: name,
                value: key.clone(),
                matched: format!("nearest label \"{label}\" (cosine {cosine:.2})"),
            });
        }
    }
    Ok(out)
}

/// Every suggestion for `text`: the vocabulary's words found in it, then the embedding model's
/// nearest labels (none, with the reason, when the model cannot be loaded or run).
pub fn suggest_all(text: &str, vocab: &Vocabulary) -> (Vec<Suggestion>, Option<String>) {
    let mut suggestions = suggest(text, vocab);
    let nearest = crate::embed::MiniLm::load()
        .and_then(|model| suggest_nearest(text, vocab, &model, &suggestions));
    match nearest {
        Ok(nearest) => {
            suggestions.extend(nearest);
            (suggestions, None)
        }
        Err(e) => (
            suggestions,
            Some(format!("no suggestions from the embedding model: {e}")),
        ),
    }
}

/// The dataset's name from a title of the form "Name: what it is" (a colon after a short name).
pub fn name_from_title(title: &str) -> Option<String> {
    let (head, rest) = title.split_once(':')?;
    let head = head.trim();
    (!head.is_empty() && head.split_whitespace().count() <= 6 && !rest.trim().is_empty())
        .then(|| head.to_owned())
}

/// A catalogue id from a name: lower-case ASCII letters and digits joined by single hyphens.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The first sentence of `text`, cut to at most `max` characters at a word boundary.
fn one_line(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.as_str(),
    };
    if sentence.chars().count() <= max {
        return sentence.to_owned();
    }
    let mut cut = String::new();
    for word in sentence.split(' ') {
        if cut.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    format!("{cut}…")
}

/// The broad field of the suggested values (unverified, like them).
fn domain_of(values: &[String]) -> &'static str {
    let has = |v: &str| values.iter().any(|x| x == v);
    if has("SM") {
        "histopathology"
    } else if has("OP") || has("OPT") {
        "ophthalmology"
    } else if has("dermoscopy") {
        "dermatology"
    } else if has("ES") {
        "endoscopy"
    } else if has("light-microscopy")
        || has("fluorescence-microscopy")
        || has("electron-microscopy")
    {
        "microscopy"
    } else {
        "radiology"
    }
}

/// The draft entry: valid for the validator, marked as a draft, everything unchecked said so.
pub fn draft(input: &DraftInput, vocab: &Vocabulary, accepted: &[Suggestion]) -> Entry {
    let pick = |name: VocabName| -> Vec<String> {
        accepted
            .iter()
            .filter(|s| s.vocab == name)
            .map(|s| s.value.clone())
            .collect()
    };
    let modalities = pick(VocabName::Modalities);
    let summary = input
        .abstract_text
        .as_deref()
        .map(|a| one_line(a, 200))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| one_line(&input.citation.title, 200));
    let description = match &input.abstract_text {
        Some(a) => format!(
            "Drafted from the record of \"{}\". Abstract: {}",
            input.citation.title,
            a.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
        None => format!(
            "Drafted from the record of \"{}\" (no abstract in the record).",
            input.citation.title
        ),
    };
    let licence_id = input
        .licence
        .clone()
        .filter(|id| vocab.licences.contains_key(id))
        .unwrap_or_else(|| "unknown".to_owned());
    // Suggested or still empty, the facets are the user's to confirm, like access and terms.
    let unverified: Vec<String> = [
        "domain",
        "modalities",
        "body_parts",
        "species",
        "tasks",
        "access",
        "licence",
        "terms",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    Entry {
        id: input.id.clone(),
        name: input.name.clone(),
        short_name: input.name.clone(),
        aliases: Vec::new(),
        summary,
        description,
        domain: domain_of(&modalities).to_owned(),
        modalities,
        body_parts: pick(VocabName::BodyParts),
        species: pick(VocabName::Species),
        tasks: pick(VocabName::Tasks),
        finding_categories: Vec::new(),
        clinical_context: vec!["research".to_owned()],
        validation_status: "not-documented".to_owned(),
        tier: None,
        file_formats: Vec::new(),
        status: "active".to_owned(),
        status_note: None,
        homepage: input.homepage.clone(),
        unverified,
        checked: Some(input.checked.clone()),
        tier_source: None,
        tier_note: None,
        added: Some("user".to_owned()),
        dimensionality: Vec::new(),
        sites: None,
        countries: Vec::new(),
        no_citation: None,
        ground_truth: GroundTruth {
            kinds: vec!["not-applicable".to_owned()],
            description: "Not checked yet: see the paper.".to_owned(),
        },
        access: Access {
            level: "not-checked".to_owned(),
            how: "Not checked yet: see the paper and the dataset's page.".to_owned(),
            url: None,
        },
        licence: Licence {
            id: licence_id.clone(),
            name: None,
            url: None,
            terms: Some(if licence_id == "unknown" {
                "Not checked yet.".to_owned()
            } else {
                format!("The record states {licence_id}; not checked on the provider's page yet.")
            }),
            family: (licence_id == "unknown").then(|| "unknown".to_owned()),
        },
        acknowledgement: None,
        terms: Some(Terms {
            commercial_use: "unknown".to_owned(),
            redistribution: "unknown".to_owned(),
            note: Some("Not checked yet: read the provider's terms before use.".to_owned()),
            inferred: Vec::new(),
            source: input.homepage.clone(),
            obligations: Vec::new(),
        }),
        size: None,
        links: Vec::new(),
        citations: vec![input.citation.clone()],
        relations: Vec::new(),
        releases: Vec::new(),
        sources: vec![Source {
            url: input.source.clone(),
            kind: "primary".to_owned(),
            supports: vec![
                "citations".to_owned(),
                "summary".to_owned(),
                "description".to_owned(),
            ],
            note: Some("The paper's metadata record the draft was made from.".to_owned()),
        }],
        seed: None,
        draft: true,
        origin: Default::default(),
    }
}

/// The draft as the text of a catalogue file.
pub fn to_toml(entry: &Entry) -> Result<String, toml::ser::Error> {
    let header =
        "# Drafted by MedAtlas from a paper's record: check every field, then remove `draft`.\n";
    // `origin` says where a loaded entry lives; it is never part of a file.
    let mut table = toml::Table::try_from(entry)?;
    table.remove("origin");
    Ok(format!("{header}{}", toml::to_string_pretty(&table)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::bundled_vocabulary;
    use crate::catalogue::validate::parse_entry;

    fn citation() -> Citation {
        Citation {
            role: "paper".into(),
            kind: "article-journal".into(),
            authors: vec!["Doe, J.".into(), "Roe, R.".into()],
            title: "KneeScan: a knee MRI dataset for meniscus tear detection".into(),
            container: Some("Journal of Examples".into()),
            year: Some(2024),
            month: None,
            volume: Some("3".into()),
            issue: None,
            pages: Some("10-20".into()),
            doi: Some("10.5555/example.2024.3".into()),
            url: None,
            pmid: None,
            pmcid: None,
            arxiv: None,
            isbn: None,
            publisher: None,
            editors: Vec::new(),
            note: None,
            evidence: "primary".into(),
            source: "https://doi.org/10.5555/example.2024.3".into(),
            unverified: Vec::new(),
            required: false,
        }
    }

    #[test]
    fn names_ids_and_suggestions_come_from_the_record() {
        assert_eq!(
            name_from_title("KneeScan: a knee MRI dataset").as_deref(),
            Some("KneeScan")
        );
        assert_eq!(name_from_title("A knee MRI dataset for tears"), None);
        assert_eq!(slug("KneeScan 2.0 (MRI)"), "kneescan-2-0-mri");
        let vocab = bundled_vocabulary().unwrap();
        let found = suggest(
            "Knee MRI of 1,370 patients for detecting meniscus tears, with segmentation of cartilage",
            &vocab,
        );
        let has = |name: VocabName, value: &str| {
            found.iter().any(|s| s.vocab == name && s.value == value)
        };
        assert!(has(VocabName::Modalities, "MR"), "{found:?}");
        assert!(has(VocabName::BodyParts, "knee"), "{found:?}");
        assert!(has(VocabName::Tasks, "segmentation"), "{found:?}");
        // "CT" inside a word is not computed tomography.
        assert!(
            !suggest("We detect objects", &vocab)
                .iter()
                .any(|s| s.value == "CT")
        );
    }

    #[test]
    fn the_embedding_model_suggests_the_nearest_labels_beyond_the_words() {
        let vocab = bundled_vocabulary().unwrap();
        let model = crate::embed::MiniLm::load().unwrap();
        // No vocabulary word of a body part or modality occurs in this text.
        let text = "Radiographs of the hand and wrist of children, used to estimate skeletal age";
        let words = suggest(text, &vocab);
        let nearest = suggest_nearest(text, &vocab, &model, &words).unwrap();
        assert!(!nearest.is_empty());
        for s in &nearest {
            assert!(s.matched.starts_with("nearest label"), "{s:?}");
            assert!(
                !words
                    .iter()
                    .any(|w| w.vocab == s.vocab && w.value == s.value)
            );
        }
        // The suggestions are the model's, made once: the same text gives the same ones.
        assert_eq!(
            nearest,
            suggest_nearest(text, &vocab, &model, &words).unwrap()
        );
    }

    #[test]
    fn a_draft_is_a_valid_entry_marked_as_a_draft() {
        let vocab = bundled_vocabulary().unwrap();
        let input = DraftInput {
            id: "kneescan".into(),
            name: "KneeScan".into(),
            citation: citation(),
            abstract_text: Some(
                "We release knee MRI of 1,370 patients. Each exam has meniscus labels.".into(),
            ),
            homepage: "https://doi.org/10.5555/example.2024.3".into(),
            licence: Some("CC-BY-4.0".into()),
            source: "https://doi.org/10.5555/example.2024.3".into(),
            checked: "2026-11-28".into(),
        };
        let accepted = suggest("knee MRI", &vocab);
        let entry = draft(&input, &vocab, &accepted);
        assert!(entry.draft);
        assert_eq!(entry.summary, "We release knee MRI of 1,370 patients.");
        let text = to_toml(&entry).unwrap();
        let parsed = parse_entry("kneescan.toml", text.as_bytes(), "kneescan", &vocab)
            .unwrap_or_else(|problems| panic!("{problems:#?}\n{text}"));
        assert!(parsed.draft);
        assert_eq!(parsed.licence.id, "CC-BY-4.0");
        assert_eq!(parsed.access.level, "not-checked");
        assert!(parsed.modalities.contains(&"MR".to_owned()));
        // Confirmed (no longer a draft), an entry needs its species like any other.
        assert!(parsed.species.is_empty());
        let confirmed = text.replace("draft = true\n", "");
        let problems = parse_entry("kneescan.toml", confirmed.as_bytes(), "kneescan", &vocab)
            .expect_err("species missing");
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("needs at least 1 value")),
            "{problems:#?}"
        );
    }
}
