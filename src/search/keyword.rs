//! The keyword stage: the plan's phrases are counted, those too common to weigh anything are left
//! out, and the rest are scored by FTS5's bm25, each phrase once per engine. Scoring is queued as
//! tasks over rowid ranges (see `work`), so that both threads of a search can share it; the scores
//! of each phrase are then cached and summed into each document's keyword evidence.

use std::collections::{HashMap, VecDeque};
use std::ops::RangeInclusive;
use std::sync::Arc;

use super::plan::{Phrase, Plan};
use super::work::{ScoredTask, Work};
use super::{Mode, SearchEngine, SearchError};

/// How many keyword matches, best first, take part in a search.
const KEYWORD_HITS: usize = 2_000;
/// A phrase's keyword scoring is split in at most this many rowid ranges (see `task_matches`).
const MAX_TASKS_PER_PHRASE: usize = 6;

/// A phrase's cached scores: every document it matches (by position) with its bm25 share.
pub(super) type Scores = Arc<Vec<(u32, f64)>>;

/// The phrases of a keyword pass, each with its scores if they were cached when it was planned.
pub(super) type KeywordPlan = Vec<(String, Option<Scores>)>;

impl SearchEngine {
    /// The FTS5 phrases of a query's keyword pass. Those not scored yet are queued in `work`, in
    /// rowid ranges of about `FusionParams::task_matches` matches. A note says which words were
    /// left out for being in half the entries or more.
    pub(super) fn keyword_plan(
        &self,
        plan: &Plan,
        notes: &mut Vec<String>,
        work: &Work,
    ) -> Result<KeywordPlan, SearchError> {
        if plan.query.mode == Mode::Semantic {
            return Ok(Vec::new());
        }
        let phrases = self.counted(&plan.phrases)?;
        let matches: HashMap<String, usize> =
            phrases.iter().map(|(p, n, _)| (p.clone(), *n)).collect();
        let (kept, dropped) = without_zero_weight_terms(phrases, self.docs.len());
        if !dropped.is_empty() {
            notes.push(format!(
                "in half the entries or more, so not used for keyword ranking: {}",
                dropped.join(", ")
            ));
        }
        let mut keyword_plan = Vec::with_capacity(kept.len());
        let mut queued: Vec<(usize, &str, RangeInclusive<i64>)> = Vec::new();
        for phrase in &kept {
            let cached = self.cached_scores(phrase);
            if cached.is_none() {
                let n = matches.get(phrase).copied().unwrap_or(0);
                let chunks = n
                    .div_ceil(self.params.task_matches.max(1))
                    .clamp(1, MAX_TASKS_PER_PHRASE);
                for rowids in self.rowid_ranges(chunks) {
                    queued.push((n / chunks, phrase, rowids));
                }
            }
            keyword_plan.push((phrase.clone(), cached));
        }
        // Largest first, so that the last tasks, which decide when both threads are done, are
        // the smallest.
        queued.sort_by_key(|task| std::cmp::Reverse(task.0));
        work.push_keyword(
            queued
                .into_iter()
                .map(|(_, phrase, rowids)| (phrase, rowids)),
        );
        Ok(keyword_plan)
    }

    /// (FTS5 phrase, documents it matches, display words) for each distinct phrase, sorted.
    fn counted(&self, phrases: &[Phrase]) -> Result<Vec<(String, usize, String)>, SearchError> {
        let mut counted = Vec::with_capacity(phrases.len());
        for p in phrases {
            let matches = if p.prefix {
                0
            } else {
                self.phrase_matches(&p.fts)?
            };
            counted.push((p.fts.clone(), matches, p.words.clone()));
        }
        counted.sort();
        counted.dedup_by(|a, b| a.0 == b.0);
        Ok(counted)
    }

    /// Keyword evidence for the phrases of `keyword_plan` once their tasks have run: each matching
    /// document's summed per-phrase bm25, normalised by the best, for the top `KEYWORD_HITS`.
    ///
    /// The bm25 of "a OR b OR …" is the sum of each phrase's own bm25, so each phrase is scored
    /// once per engine and reused: typing, refining and repeating a query re-scores only its new
    /// words.
    pub(super) fn keyword_evidence(
        &self,
        phrases: KeywordPlan,
        done: Vec<ScoredTask>,
    ) -> HashMap<usize, f32> {
        let mut scored: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
        for (phrase, rows) in done {
            scored.entry(phrase).or_default().extend(rows);
        }
        let mut totals = vec![0.0_f64; self.docs.len()];
        let mut matched: Vec<usize> = Vec::new();
        for (phrase, cached) in phrases {
            let scores = match (cached, scored.remove(&phrase)) {
                (Some(cached), _) => cached,
                (None, rows) => self.keep_scores(&phrase, rows.unwrap_or_default()),
            };
            for &(i, score) in scores.iter() {
                let i = i as usize;
                if totals[i] == 0.0 {
                    matched.push(i);
                }
                totals[i] += score;
            }
        }
        let limit = KEYWORD_HITS.min(matched.len());
        let by_score = |a: &usize, b: &usize| totals[*b].total_cmp(&totals[*a]).then(a.cmp(b));
        if limit < matched.len() {
            matched.select_nth_unstable_by(limit, by_score);
            matched.truncate(limit);
        }
        let max = matched.iter().map(|&i| totals[i]).fold(0.0_f64, f64::max);
        matched
            .into_iter()
            .map(|i| {
                let norm = if max > 0.0 {
                    (totals[i] / max) as f32
                } else {
                    0.0
                };
                (i, norm)
            })
            .collect()
    }

    /// How many documents an FTS5 phrase matches (stemmed forms included), counted once.
    fn phrase_matches(&self, phrase: &str) -> Result<usize, SearchError> {
        if let Ok(counts) = self.phrase_counts.lock()
            && let Some(&n) = counts.get(phrase)
        {
            return Ok(n);
        }
        if let Some(scores) = self.cached_scores(phrase) {
            return Ok(scores.len());
        }
        let n = self.store.keyword_count(phrase)?;
        if let Ok(mut counts) = self.phrase_counts.lock() {
            counts.insert(phrase.to_owned(), n);
        }
        Ok(n)
    }

    /// A phrase's cached keyword scores.
    fn cached_scores(&self, phrase: &str) -> Option<Scores> {
        self.phrase_scores.lock().ok()?.get(phrase)
    }

    /// Turns a phrase's scored rows into its cached scores, kept while the cache has room.
    fn keep_scores(&self, phrase: &str, rows: Vec<(i64, f64)>) -> Scores {
        let scores: Vec<(u32, f64)> = rows
            .into_iter()
            // A positive floor keeps "matched" distinct from "no score" when summing.
            .filter_map(|(rowid, score)| {
                self.docs
                    .by_rowid
                    .get(rowid)
                    .map(|i| (i as u32, score.max(f64::MIN_POSITIVE)))
            })
            .collect();
        let scores = Arc::new(scores);
        if let Ok(mut cache) = self.phrase_scores.lock() {
            cache.insert(phrase, scores.clone());
        }
        scores
    }

    /// `n` rowid ranges that cover every rowid, each holding about as many documents.
    fn rowid_ranges(&self, n: usize) -> Vec<RangeInclusive<i64>> {
        let rowids = &self.docs.sorted_rowids;
        let n = n.clamp(1, rowids.len().max(1));
        let mut ranges = Vec::with_capacity(n);
        let mut start = i64::MIN;
        for c in 1..n {
            let end = rowids[c * rowids.len() / n] - 1;
            ranges.push(start..=end);
            start = end + 1;
        }
        ranges.push(start..=i64::MAX);
        ranges
    }
}

/// Splits `phrases` (FTS5 phrase, documents known to hold it, display words) into the FTS5 query
/// and the display words of the phrases left out: those held by at least half of the `documents`.
///
/// FTS5's bm25 gives such a term an inverse document frequency of 1e-6 (its formula goes to zero
/// or below at half the rows), so it changes no score, yet bm25 is computed for every document
/// it occurs in: on a catalogue of 100,000 entries, "imaging" alone cost about 0.2 s. If every
/// phrase is that common, all are kept, so that such a query still finds its matches.
fn without_zero_weight_terms(
    phrases: Vec<(String, usize, String)>,
    documents: usize,
) -> (Vec<String>, Vec<String>) {
    let zero_weight = |postings: usize| documents > 0 && postings * 2 >= documents;
    let all_zero = phrases.iter().all(|(_, n, _)| zero_weight(*n));
    let mut kept: Vec<String> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for (phrase, postings, words) in phrases {
        if all_zero || !zero_weight(postings) {
            kept.push(phrase);
        } else {
            dropped.push(words);
        }
    }
    kept.sort();
    dropped.sort();
    (kept, dropped)
}

/// Per-phrase keyword scores, oldest dropped first once they hold more than `CAPACITY` matches
/// (about 16 MB).
#[derive(Default)]
pub(super) struct PhraseScores {
    scores: HashMap<String, Scores>,
    order: VecDeque<String>,
    held: usize,
}

impl PhraseScores {
    const CAPACITY: usize = 1_000_000;

    fn get(&self, phrase: &str) -> Option<Scores> {
        self.scores.get(phrase).cloned()
    }

    fn insert(&mut self, phrase: &str, scores: Scores) {
        self.held += scores.len();
        if let Some(old) = self.scores.insert(phrase.to_owned(), scores) {
            self.held -= old.len();
        } else {
            self.order.push_back(phrase.to_owned());
        }
        while self.held > Self::CAPACITY && self.order.len() > 1 {
            if let Some(oldest) = self.order.pop_front()
                && let Some(old) = self.scores.remove(&oldest)
            {
                self.held -= old.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_zero_weight_terms;

    fn p(phrase: &str, n: usize) -> (String, usize, String) {
        (format!("\"{phrase}\""), n, phrase.to_owned())
    }

    #[test]
    fn terms_in_half_the_documents_or_more_are_left_out() {
        let (fts, dropped) = without_zero_weight_terms(
            vec![
                p("imaging", 100_000),
                p("covid", 2_000),
                p("data", 50_000),
                p("mri", 49_999),
            ],
            100_000,
        );
        assert_eq!(fts.join(" OR "), "\"covid\" OR \"mri\"");
        assert_eq!(dropped, vec!["data".to_owned(), "imaging".to_owned()]);
    }

    #[test]
    fn a_query_of_only_common_terms_keeps_them() {
        let (fts, dropped) = without_zero_weight_terms(vec![p("imaging", 40), p("data", 30)], 44);
        assert_eq!(fts.join(" OR "), "\"data\" OR \"imaging\"");
        assert!(dropped.is_empty());
    }
}
