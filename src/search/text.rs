//! Query text: normalisation, synonym and abbreviation expansion from the vocabulary, and typo
//! correction against the words of the indexed documents.

use std::collections::{HashMap, HashSet};

use crate::catalogue::Vocabulary;
use crate::catalogue::facets::FacetKind;

/// Words too common to search on.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or",
    "the", "to", "with", "data", "dataset", "datasets", "database", "images", "image",
];

/// Lower-cased word tokens (letters, digits, inner hyphens, apostrophes and `&`).
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| {
        !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '\u{2019}' || c == '&')
    })
    .map(|t| {
        let t = t.to_lowercase().replace('\u{2019}', "'");
        // A possessive is the word itself: "Alzheimer's" searches as "alzheimer".
        let t = t.strip_suffix("'s").unwrap_or(&t);
        t.trim_matches(|c: char| c == '-' || c == '\'').to_owned()
    })
    .filter(|t| !t.is_empty())
    .collect()
}

pub fn is_stopword(token: &str) -> bool {
    STOPWORDS.contains(&token)
}

/// A group of phrases that mean the same; `facet` is set for groups built from a facet value.
#[derive(Debug, Clone)]
pub struct SynonymGroup {
    pub phrases: Vec<Vec<String>>,
    pub display: String,
    pub facet: Option<(FacetKind, String)>,
}

/// What a query matched in the vocabulary.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Extra phrases meaning the same as query words (each a list of tokens).
    pub phrases: Vec<Vec<String>>,
    /// The subset from abbreviation / phrasing groups (facet synonyms are indexed with documents).
    pub query_phrases: Vec<Vec<String>>,
    /// Facet values the query names ("MRI" → modality MR).
    pub facets: Vec<(FacetKind, String)>,
    /// Human-readable notes ("MRI → Magnetic resonance").
    pub notes: Vec<String>,
}

pub struct Expander {
    groups: Vec<SynonymGroup>,
}

impl Expander {
    pub fn new(vocab: &Vocabulary) -> Self {
        let mut groups = Vec::new();
        for facet in FacetKind::DESCRIPTIVE {
            for (key, term) in vocab.terms(facet.vocab()) {
                let mut phrases: Vec<Vec<String>> = std::iter::once(&term.label)
                    .chain(&term.synonyms)
                    .chain(std::iter::once(key))
                    .map(|p| tokens(p))
                    .filter(|p| !p.is_empty())
                    .collect();
                phrases.sort();
                phrases.dedup();
                groups.push(SynonymGroup {
                    phrases,
                    display: term.label.clone(),
                    facet: Some((facet, key.clone())),
                });
            }
        }
        for group in &vocab.query_synonyms {
            let phrases: Vec<Vec<String>> = group
                .terms
                .iter()
                .map(|t| tokens(t))
                .filter(|p| !p.is_empty())
                .collect();
            // Notes name the group by its longest form ("AD" → "Alzheimer's disease").
            if let Some(longest) = group.terms.iter().max_by_key(|t| t.len()) {
                groups.push(SynonymGroup {
                    phrases,
                    display: longest.clone(),
                    facet: None,
                });
            }
        }
        Expander { groups }
    }

    /// Finds every group one of whose phrases occurs in `query_tokens` as whole words.
    pub fn expand(&self, query_tokens: &[String]) -> Expansion {
        let mut out = Expansion::default();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        for group in &self.groups {
            let Some(hit) = group
                .phrases
                .iter()
                .filter(|p| contains_phrase(query_tokens, p))
                .max_by_key(|p| p.len())
            else {
                continue;
            };
            // A generic word ("data", "images") alone never triggers an expansion.
            if hit.len() == 1 && is_stopword(&hit[0]) {
                continue;
            }
            if let Some(facet) = &group.facet {
                out.facets.push(facet.clone());
            }
            let said = hit.join(" ");
            if said != group.display.to_lowercase() {
                out.notes.push(format!("{said} → {}", group.display));
            }
            for phrase in &group.phrases {
                if phrase != hit && seen.insert(phrase.clone()) {
                    out.phrases.push(phrase.clone());
                    if group.facet.is_none() {
                        out.query_phrases.push(phrase.clone());
                    }
                }
            }
        }
        out
    }
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && haystack.len() >= phrase.len()
        && haystack.windows(phrase.len()).any(|w| w == phrase)
}

/// Typo correction by symmetric deletion: a word and every one-letter deletion of it are indexed,
/// so a query word within one edit (or one adjacent transposition) of a known word finds it with a
/// handful of hash look-ups.
#[derive(Debug, Default)]
pub struct TypoIndex {
    words: HashSet<String>,
    deletions: HashMap<String, Vec<u32>>,
    list: Vec<String>,
}

impl TypoIndex {
    pub fn build<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = TypoIndex::default();
        for text in texts {
            for word in tokens(text) {
                if word.chars().count() < 4 || index.words.contains(&word) {
                    continue;
                }
                let id = index.list.len() as u32;
                for d in deletions(&word) {
                    index.deletions.entry(d).or_default().push(id);
                }
                index.deletions.entry(word.clone()).or_default().push(id);
                index.words.insert(word.clone());
                index.list.push(word);
            }
        }
        index
    }

    pub fn contains(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// Known words within an edit distance of 2 built from one deletion on each side (covers one
    /// substitution, insertion, deletion or adjacent transposition), closest first.
    pub fn corrections(&self, word: &str) -> Vec<String> {
        if word.chars().count() < 4 || self.words.contains(word) {
            return Vec::new();
        }
        let mut candidates: HashSet<u32> = HashSet::new();
        for key in std::iter::once(word.to_owned()).chain(deletions(word)) {
            if let Some(ids) = self.deletions.get(&key) {
                candidates.extend(ids);
            }
        }
        let mut scored: Vec<(usize, &String)> = candidates
            .into_iter()
            .map(|id| &self.list[id as usize])
            .map(|w| (strsim::damerau_levenshtein(word, w), w))
            .filter(|(d, _)| *d <= 2)
            .collect();
        scored.sort();
        let best = scored.first().map_or(0, |(d, _)| *d);
        scored
            .into_iter()
            .filter(|(d, _)| *d == best)
            .take(3)
            .map(|(_, w)| w.clone())
            .collect()
    }
}

fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|i| chars[..i].iter().chain(&chars[i + 1..]).collect::<String>())
        .collect()
}

/// Escapes a phrase for an FTS5 query: tokens in double quotes.
pub fn fts_phrase(tokens: &[String], prefix: bool) -> String {
    let quoted = format!("\"{}\"", tokens.join(" ").replace('"', "\"\""));
    if prefix { format!("{quoted}*") } else { quoted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenises() {
        assert_eq!(
            tokens("Alzheimer's MRI, H&E; X-ray!"),
            ["alzheimer", "mri", "h&e", "x-ray"]
        );
    }

    #[test]
    fn corrects_one_or_two_letter_typos() {
        let index = TypoIndex::build(["Alzheimer disease mammography neuroimaging"]);
        assert_eq!(index.corrections("alzhiemer"), ["alzheimer"]);
        assert_eq!(index.corrections("mamography"), ["mammography"]);
        assert_eq!(index.corrections("neuroimagng"), ["neuroimaging"]);
        assert!(index.corrections("xyzzy").is_empty());
        assert!(index.corrections("alzheimer").is_empty());
    }
}
