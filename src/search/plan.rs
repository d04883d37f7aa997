//! A query parsed once: its words, the synonyms and spelling corrections that join them, the text
//! the embedder sees, the keyword phrases and the names it may be. Every later stage reads the plan
//! and never the raw string, so a query is tokenised, expanded and corrected exactly once.

use super::Query;
use super::text::{self, Expander, Expansion, TypoIndex};

/// One FTS5 phrase of the keyword pass, before the store has counted its matches.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Phrase {
    /// The FTS5 phrase, quoted (and with `*` when it is a prefix).
    pub fts: String,
    /// A prefix stands for many words: it is never counted and never left out.
    pub prefix: bool,
    /// The words shown to the user if the phrase is left out.
    pub words: String,
}

/// What a query asks for, parsed once.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) query: Query,
    /// The query's words that are not stopwords.
    pub(super) content: Vec<String>,
    pub(super) expansion: Expansion,
    /// Spelling corrections of content words, all of them.
    pub(super) corrections: Vec<String>,
    /// Synonym expansions and spelling corrections, for the user.
    pub(super) notes: Vec<String>,
    /// The text embedded for the query.
    semantic_text: String,
    /// The keyword pass's phrases: each content word, each abbreviation expansion, each correction.
    pub(super) phrases: Vec<Phrase>,
    /// The names the query may be giving: all its content words together, each word of three
    /// letters or more, and each spelling correction.
    pub(super) names: Vec<String>,
}

impl Plan {
    pub(super) fn new(query: &Query, expander: &Expander, typos: &TypoIndex) -> Plan {
        let tokens = text::tokens(&query.text);
        let content: Vec<String> = tokens
            .iter()
            .filter(|t| !text::is_stopword(t))
            .cloned()
            .collect();
        let expansion = expander.expand(&tokens);
        // The query is embedded as typed, as the plain recipe does. Appending the long forms of
        // its abbreviations ("CXR (chest X-ray)") helped with the earlier document text, but with
        // the recipe's it lowered semantic nDCG@10 on the dev queries (0.935 -> 0.928).
        let semantic_text = query.text.clone();
        let mut plan = Plan {
            query: query.clone(),
            content,
            notes: Vec::new(),
            corrections: Vec::new(),
            semantic_text,
            phrases: Vec::new(),
            names: Vec::new(),
            expansion,
        };
        if plan.is_browse() {
            return plan;
        }
        plan.notes = plan.expansion.notes.clone();
        for token in &plan.content {
            let fixed = typos.corrections(token);
            if !fixed.is_empty() {
                plan.notes.push(format!("{token} → {}", fixed.join(" / ")));
                plan.corrections.extend(fixed);
            }
        }
        plan.phrases = plan.keyword_phrases();
        plan.names = std::iter::once(plan.content.join(" "))
            .chain(
                plan.content
                    .iter()
                    .filter(|t| t.chars().count() >= 3)
                    .cloned(),
            )
            .chain(plan.corrections.iter().cloned())
            .collect();
        plan
    }

    /// The query this plan was made from.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The text to embed for this query (the query as typed).
    pub fn semantic_text(&self) -> &str {
        &self.semantic_text
    }

    /// No content word: the query lists every entry passing the filters.
    pub fn is_browse(&self) -> bool {
        self.content.is_empty()
    }

    /// The query's mode and words call for a query vector (the engine decides whether it can).
    pub fn wants_vector(&self) -> bool {
        self.query.mode != super::Mode::Keyword && !self.is_browse()
    }

    /// The words "why" names: the user's own (and their corrections); expansions show as facets.
    pub(super) fn shown_words(&self) -> Vec<String> {
        let mut words = self.content.clone();
        words.extend(self.corrections.iter().cloned());
        words
    }

    fn keyword_phrases(&self) -> Vec<Phrase> {
        let mut phrases = Vec::new();
        let last = self.content.len().saturating_sub(1);
        for (i, token) in self.content.iter().enumerate() {
            let prefix = self.query.prefix_last && i == last && token.chars().count() >= 2;
            phrases.push(Phrase {
                fts: text::fts_phrase(std::slice::from_ref(token), prefix),
                prefix,
                words: token.clone(),
            });
        }
        // Facet synonyms are indexed with each document (the `keywords` column), so only the
        // abbreviation groups need expanding here; fewer terms keep bm25 fast on large stores.
        for phrase in &self.expansion.query_phrases {
            phrases.push(Phrase {
                fts: text::fts_phrase(phrase, false),
                prefix: false,
                words: phrase.join(" "),
            });
        }
        for c in &self.corrections {
            phrases.push(Phrase {
                fts: text::fts_phrase(std::slice::from_ref(c), false),
                prefix: false,
                words: c.clone(),
            });
        }
        phrases
    }
}
