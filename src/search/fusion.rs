//! The fusion stage: which documents a query's evidence makes results, their scores, and their
//! order. A hybrid score adds to the cosine similarity a small weight of the normalised bm25 score
//! and a larger one for an exact name, short-name or alias match (see the module doc of `search`).
//! An empty query lists every entry passing the filters, by tier then name.

use std::collections::{HashMap, HashSet};

use super::plan::Plan;
use super::{Mode, Query, SearchEngine};

/// The evidence a search gathered, by document position.
pub(super) struct Evidence {
    /// Normalised keyword scores of the best keyword matches.
    pub keyword: HashMap<usize, f32>,
    /// Cosine similarities of the nearest neighbours.
    pub semantic: HashMap<usize, f32>,
    /// A query vector was computed and searched (hybrid falls back to keyword ranking without).
    pub had_vector: bool,
}

/// A result before it is explained.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scored {
    pub doc: usize,
    pub score: f32,
    pub exact_name: bool,
}

impl SearchEngine {
    /// Every document the evidence makes a result in the query's mode, scored, in no order and
    /// before the filters (facet counts are taken over these).
    pub(super) fn fuse(&self, plan: &Plan, evidence: &Evidence) -> Vec<Scored> {
        let exact_docs: HashSet<u32> = plan
            .names
            .iter()
            .filter_map(|name| self.docs.by_name.get(name))
            .flatten()
            .copied()
            .collect();
        let p = self.params;
        let candidates: HashSet<usize> = evidence
            .keyword
            .keys()
            .chain(evidence.semantic.keys())
            .copied()
            .collect();
        // The semantic floor: the nearest documents, whatever their similarity.
        let nearest: HashSet<usize> = if p.semantic_floor > 0 {
            let mut by_similarity: Vec<(usize, f32)> =
                evidence.semantic.iter().map(|(&d, &s)| (d, s)).collect();
            by_similarity.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            by_similarity
                .into_iter()
                .take(p.semantic_floor)
                .map(|(d, _)| d)
                .collect()
        } else {
            HashSet::new()
        };
        let mut scored = Vec::new();
        for doc in candidates {
            let kw = evidence.keyword.get(&doc).copied();
            let sem = evidence.semantic.get(&doc).copied();
            let exact_name = kw.is_some() && exact_docs.contains(&(doc as u32));
            let close = sem.is_some_and(|s| s >= p.semantic_threshold) || nearest.contains(&doc);
            let member = match plan.query.mode {
                Mode::Keyword => kw.is_some(),
                Mode::Semantic => close,
                Mode::Hybrid => kw.is_some() || close,
            };
            if !member {
                continue;
            }
            let bonus = if exact_name { p.exact_weight } else { 0.0 };
            let score = match plan.query.mode {
                Mode::Keyword => kw.unwrap_or(0.0) + bonus,
                Mode::Semantic => sem.unwrap_or(0.0),
                // Without vectors yet, hybrid degrades to keyword ranking.
                Mode::Hybrid if !evidence.had_vector => kw.unwrap_or(0.0) + bonus,
                Mode::Hybrid => sem.unwrap_or(0.0) + p.keyword_weight * kw.unwrap_or(0.0) + bonus,
            };
            scored.push(Scored {
                doc,
                score,
                exact_name,
            });
        }
        scored
    }

    /// The results passing the query's filters, best first (ties by tier, then name): how many
    /// there are, and the first `limit` of them.
    pub(super) fn rank(&self, scored: Vec<Scored>, query: &Query) -> (usize, Vec<Scored>) {
        let mut ranked: Vec<Scored> = scored
            .into_iter()
            .filter(|s| self.docs.list[s.doc].matches(&query.selection, None))
            .collect();
        ranked.sort_by(|a, b| {
            let (da, db) = (&self.docs.list[a.doc], &self.docs.list[b.doc]);
            b.score
                .total_cmp(&a.score)
                .then_with(|| da.tier_rank.cmp(&db.tier_rank))
                .then_with(|| da.name.cmp(&db.name))
        });
        let total = ranked.len();
        ranked.truncate(query.limit.unwrap_or(usize::MAX));
        (total, ranked)
    }

    /// An empty query: every entry passing the filters, by tier then name: (total, the first
    /// `limit`).
    pub(super) fn browse(&self, query: &Query) -> (usize, Vec<Scored>) {
        let mut hits: Vec<usize> = (0..self.docs.len())
            .filter(|&i| self.docs.list[i].matches(&query.selection, None))
            .collect();
        hits.sort_by(|&a, &b| {
            let (da, db) = (&self.docs.list[a], &self.docs.list[b]);
            da.tier_rank
                .cmp(&db.tier_rank)
                .then_with(|| da.name.cmp(&db.name))
        });
        let total = hits.len();
        let shown = hits
            .into_iter()
            .take(query.limit.unwrap_or(usize::MAX))
            .map(|doc| Scored {
                doc,
                score: 0.0,
                exact_name: false,
            })
            .collect();
        (total, shown)
    }
}
