//! The explanation stage: why each result matched, in words a user can read: the query words (and
//! corrections) found in the entry, the facet values the query named, the cosine similarity and
//! whether the query names the dataset.

use std::collections::HashMap;

use serde::Serialize;

use super::docs::DocMeta;
use super::fusion::Scored;
use super::plan::Plan;
use super::{Hit, SearchEngine};

/// Why a result matched, for the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Why {
    /// Query words (or their synonyms and corrections) found in the entry's text.
    pub terms: Vec<String>,
    /// Facet values the query named that the entry has ("Modality: Mammography").
    pub facets: Vec<String>,
    /// Cosine similarity of the query and the entry, when semantic search ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<f32>,
    /// The query names the dataset.
    pub exact_name: bool,
}

impl Why {
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.exact_name {
            parts.push("name match".to_owned());
        }
        if !self.terms.is_empty() {
            parts.push(format!("terms: {}", self.terms.join(", ")));
        }
        if !self.facets.is_empty() {
            parts.push(self.facets.join(", "));
        }
        if let Some(s) = self.semantic {
            parts.push(format!("semantic {s:.2}"));
        }
        parts.join(" · ")
    }
}

impl SearchEngine {
    /// The hits of `ranked`, each with why it matched.
    pub(super) fn explain(
        &self,
        plan: &Plan,
        ranked: Vec<Scored>,
        semantic: &HashMap<usize, f32>,
    ) -> Vec<Hit> {
        let words = plan.shown_words();
        ranked
            .into_iter()
            .map(|s| {
                let doc = &self.docs.list[s.doc];
                let why = Why {
                    terms: self.matched_terms(doc, &words),
                    facets: self.named_facets(plan, doc),
                    semantic: semantic.get(&s.doc).copied(),
                    exact_name: s.exact_name,
                };
                self.hit(s, why)
            })
            .collect()
    }

    /// Hits without explanation, as an empty query lists them.
    pub(super) fn unexplained(&self, shown: Vec<Scored>) -> Vec<Hit> {
        shown
            .into_iter()
            .map(|s| self.hit(s, Why::default()))
            .collect()
    }

    fn hit(&self, scored: Scored, why: Why) -> Hit {
        let doc = &self.docs.list[scored.doc];
        Hit {
            id: doc.id.clone(),
            name: doc.name.clone(),
            score: scored.score,
            why,
        }
    }

    /// "Facet: Label" for each facet value the query named (through a synonym) that `doc` has.
    fn named_facets(&self, plan: &Plan, doc: &DocMeta) -> Vec<String> {
        plan.expansion
            .facets
            .iter()
            .filter(|(f, v)| doc.values(*f).iter().any(|x| x == v))
            .map(|(f, v)| format!("{}: {}", f.label(), self.vocab.label(f.vocab(), v)))
            .collect()
    }

    fn matched_terms(&self, doc: &DocMeta, words: &[String]) -> Vec<String> {
        let mut found: Vec<String> = words
            .iter()
            .filter(|w| {
                self.docs
                    .words
                    .get(w.as_str())
                    .is_some_and(|id| doc.words.binary_search(id).is_ok())
            })
            .cloned()
            .collect();
        found.dedup();
        found
    }
}
