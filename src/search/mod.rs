//! Search over the catalogue: keyword (FTS5 bm25 with field weights), semantic (KNN over sentence
//! embeddings) and a hybrid of the two, with facet filters and disjunctive facet counts.
//!
//! Ranking: the query is normalised, expanded with vocabulary synonyms and abbreviations, and
//! typo-corrected against the indexed words. Keyword and vector evidence are then fused by adding to
//! the cosine similarity a small weight of the normalised bm25 score and a larger one for an exact
//! name, short-name or alias match. Plain reciprocal rank fusion was measured to lower the embedding
//! model's quality on this catalogue (keyword ranks are noisy for paraphrased questions); a weighted
//! sum lets keyword evidence break ties and promote exact names without overriding the semantic
//! order. The weights are tuned on the development queries (`tests/data/dev-queries.tsv`).

pub mod eval;
pub mod index;
pub mod text;

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::RangeInclusive;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::catalogue::facets::{self, FacetCounts, FacetKind, FacetValue, Selection};
use crate::catalogue::{Entry, Vocabulary};
use crate::embed::Embedder;
use crate::store::{
    KnnFilter, PendingEmbedding, SearchReads, Store, StoreError, SyncReport, VECTOR_SHARDS,
};
use text::{Expander, TypoIndex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Hybrid,
    Keyword,
    Semantic,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Hybrid, Mode::Keyword, Mode::Semantic];

    pub fn key(self) -> &'static str {
        match self {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown search mode \"{s}\"; accepted: hybrid, keyword, semantic")
            })
    }
}

/// The weights of the fusion, the semantic relevance threshold, and how a search's store queries
/// are split between two threads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionParams {
    /// Weight of the bm25 score normalised to [0, 1] within the query.
    pub keyword_weight: f32,
    /// Bonus for a query that names the dataset (name, short name or alias).
    pub exact_weight: f32,
    /// Cosine similarity above which a document counts as matching semantically.
    pub semantic_threshold: f32,
    /// How many nearest neighbours to consider per query, at most (see `SearchEngine::knn_k`).
    pub knn_k: usize,
    /// Matches per keyword scoring task. FTS5 scores about one match per microsecond here, and
    /// each task also recounts its phrase over the whole index for the IDF: on 100,000 entries,
    /// splitting a phrase of 34,000 matches in 2, 4 or 8 rowid ranges cost 1%, 4% and 10% more
    /// in all. Tasks of about 5 ms balance two threads without much repeated counting.
    pub task_matches: usize,
    /// From this many entries, a store file's vector search is split in its `VECTOR_SHARDS` parts,
    /// which run side by side (smaller catalogues are in one part, searched in a few milliseconds
    /// at most).
    pub shard_from: usize,
}

impl Default for FusionParams {
    fn default() -> Self {
        FusionParams {
            keyword_weight: 0.3,
            exact_weight: 0.3,
            semantic_threshold: 0.3,
            knn_k: 200,
            task_matches: 5_000,
            shard_from: 16_384,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub text: String,
    pub mode: Mode,
    pub selection: Selection,
    /// At most this many hits (all when `None`).
    pub limit: Option<usize>,
    /// Treat the last word as a prefix (search as you type).
    pub prefix_last: bool,
}

impl Query {
    pub fn new(text: impl Into<String>) -> Self {
        Query {
            text: text.into(),
            ..Default::default()
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub name: String,
    pub score: f32,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub mode: Mode,
    pub took_ms: f64,
    pub total: usize,
    pub results: Vec<Hit>,
    #[serde(serialize_with = "facets_as_map")]
    pub facets: Vec<FacetCounts>,
    /// Spelling corrections and synonym expansions applied.
    pub notes: Vec<String>,
    /// False while the catalogue's vectors are still being computed (semantic part skipped).
    pub semantic_ready: bool,
}

fn facets_as_map<S: serde::Serializer>(facets: &[FacetCounts], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(facets.len()))?;
    for f in facets {
        map.serialize_entry(f.facet.key(), &f.values)?;
    }
    map.end()
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
}

/// What search keeps in memory per document.
#[derive(Debug, Clone)]
struct DocMeta {
    id: String,
    rowid: i64,
    name: String,
    tier_rank: u8,
    facet_values: Vec<(FacetKind, Vec<String>)>,
    /// For each facet of `FacetKind::ALL`, the positions of this document's values in
    /// `SearchEngine::facet_lists` (for counting without hashing strings), packed in one
    /// allocation (see `DocMeta::facet_ids`).
    facet_ids: Box<[u32]>,
    /// Sorted ids (in `SearchEngine::words`) of the words of the name, aliases, summary and
    /// keywords, to say which query words an entry contains without touching the database.
    words: Vec<u32>,
}

/// Lists packed as `[end of list 0, end of list 1, …, items…]`, ends counted from the start.
fn pack(lists: impl Iterator<Item = Vec<u32>>) -> Box<[u32]> {
    let lists: Vec<Vec<u32>> = lists.collect();
    let mut packed = Vec::with_capacity(lists.len() + lists.iter().map(Vec::len).sum::<usize>());
    let mut end = lists.len();
    for list in &lists {
        end += list.len();
        packed.push(end as u32);
    }
    packed.extend(lists.into_iter().flatten());
    packed.into_boxed_slice()
}

impl DocMeta {
    /// The positions of this document's values of facet number `f` (see `facet_ids`).
    fn facet_ids(&self, f: usize) -> &[u32] {
        let ends = FacetKind::ALL.len();
        let start = if f == 0 {
            ends
        } else {
            self.facet_ids[f - 1] as usize
        };
        &self.facet_ids[start..self.facet_ids[f] as usize]
    }

    fn values(&self, facet: FacetKind) -> &[String] {
        self.facet_values
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    fn matches(&self, selection: &Selection, ignored: Option<FacetKind>) -> bool {
        selection.0.iter().all(|(facet, selected)| {
            Some(*facet) == ignored
                || selected.is_empty()
                || self.values(*facet).iter().any(|v| selected.contains(v))
        })
    }
}

pub struct SearchEngine {
    store: Store,
    docs: Vec<DocMeta>,
    by_rowid: RowidIndex,
    /// Documents by lower-cased name, short name or alias (tokens joined by spaces), for
    /// exact-name matches.
    by_name: HashMap<String, Vec<u32>>,
    /// The documents' rowids in order, to split keyword scoring into rowid ranges.
    sorted_rowids: Vec<i64>,
    vocab: Vocabulary,
    expander: Expander,
    typos: TypoIndex,
    words: HashMap<String, u32>,
    /// How many documents each FTS5 phrase matches, counted by FTS5 itself the first time a
    /// phrase is searched (the catalogue does not change under an engine).
    phrase_counts: Mutex<HashMap<String, usize>>,
    /// Per-phrase keyword scores (see `phrase_scores`).
    phrase_scores: Mutex<PhraseScores>,
    /// Every value (and label) of each facet of `FacetKind::ALL`, in vocabulary order.
    facet_lists: Vec<Vec<(String, String)>>,
    embedder: Option<Arc<dyn Embedder>>,
    params: FusionParams,
    /// Every document has a current vector for the embedder (checked on load and after indexing).
    ready: bool,
    pub sync_report: SyncReport,
}

impl SearchEngine {
    /// Indexes `entries` into `store` (only what changed) and loads what search keeps in memory.
    /// Vectors already cached for the embedder are reused; the rest are computed by
    /// `index_embeddings` (or by the caller, in the background, through `pending_embeddings`).
    pub fn new(
        entries: &[Entry],
        vocab: &Vocabulary,
        mut store: Store,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<SearchEngine, SearchError> {
        let documents: Vec<_> = entries.iter().map(|e| index::document(e, vocab)).collect();
        let sync_report = store.sync_documents(&documents)?;
        store.fill_from_cache()?;
        let rowids = store.rowids()?;
        let facet_lists: Vec<Vec<(String, String)>> =
            FacetKind::ALL.iter().map(|f| f.all_values(vocab)).collect();
        let mut docs = Vec::with_capacity(entries.len());
        let mut words: HashMap<String, u32> = HashMap::new();
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for (e, d) in entries.iter().zip(&documents) {
            let Some(&rowid) = rowids.get(&e.id) else {
                continue;
            };
            let mut names: Vec<String> = std::iter::once(&e.name)
                .chain(std::iter::once(&e.short_name))
                .chain(&e.aliases)
                .map(|n| text::tokens(n).join(" "))
                .filter(|n| !n.is_empty())
                .collect();
            names.sort();
            names.dedup();
            for name in names {
                by_name.entry(name).or_default().push(docs.len() as u32);
            }
            let mut word_ids: Vec<u32> = [&d.name, &d.aliases, &d.summary, &d.keywords]
                .iter()
                .flat_map(|t| text::tokens(t))
                .map(|w| {
                    let next = words.len() as u32;
                    *words.entry(w).or_insert(next)
                })
                .collect();
            word_ids.sort_unstable();
            word_ids.dedup();
            docs.push(DocMeta {
                words: word_ids,
                id: e.id.clone(),
                rowid,
                name: e.name.clone(),
                tier_rank: e.tier.unwrap_or(9),
                facet_ids: pack(FacetKind::ALL.iter().zip(&facet_lists).map(|(&f, list)| {
                    f.values_of(e)
                        .into_iter()
                        .filter_map(|v| list.iter().position(|(value, _)| value == v))
                        .map(|p| p as u32)
                        .collect()
                })),
                facet_values: FacetKind::ALL
                    .iter()
                    .map(|&f| (f, f.values_of(e).into_iter().map(str::to_owned).collect()))
                    .collect(),
            });
        }
        let by_rowid = RowidIndex::new(docs.iter().map(|d| d.rowid));
        let mut sorted_rowids: Vec<i64> = docs.iter().map(|d| d.rowid).collect();
        sorted_rowids.sort_unstable();
        let typos = TypoIndex::build(documents.iter().flat_map(|d| {
            [
                d.name.as_str(),
                d.aliases.as_str(),
                d.summary.as_str(),
                d.description.as_str(),
                d.keywords.as_str(),
            ]
        }));
        let mut engine = SearchEngine {
            store,
            docs,
            by_rowid,
            by_name,
            sorted_rowids,
            vocab: vocab.clone(),
            expander: Expander::new(vocab),
            typos,
            words,
            phrase_counts: Mutex::new(HashMap::new()),
            phrase_scores: Mutex::new(PhraseScores::default()),
            facet_lists,
            embedder,
            params: FusionParams::default(),
            ready: false,
            sync_report,
        };
        engine.refresh_readiness();
        Ok(engine)
    }

    pub fn params(&self) -> FusionParams {
        self.params
    }

    pub fn set_params(&mut self, params: FusionParams) {
        self.params = params;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn embedder(&self) -> Option<&Arc<dyn Embedder>> {
        self.embedder.as_ref()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn pending_embeddings(&self) -> Result<Vec<PendingEmbedding>, SearchError> {
        Ok(self.store.pending_embeddings()?)
    }

    pub fn store_embeddings(
        &mut self,
        items: &[(PendingEmbedding, Vec<f32>)],
    ) -> Result<(), SearchError> {
        self.store.store_embeddings(items)?;
        self.refresh_readiness();
        Ok(())
    }

    /// (documents with a current vector, all documents).
    pub fn embedding_progress(&self) -> Result<(usize, usize), SearchError> {
        Ok(self.store.embedding_progress()?)
    }

    /// Computes every missing vector now, in batches, reporting (done, total) after each.
    pub fn index_embeddings(
        &mut self,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<usize, SearchError> {
        let Some(embedder) = self.embedder.clone() else {
            return Ok(0);
        };
        let pending = self.store.pending_embeddings()?;
        let total = pending.len();
        for (done, chunk) in pending.chunks(8).enumerate() {
            let texts: Vec<&str> = chunk.iter().map(|p| p.text.as_str()).collect();
            let vectors = embedder.embed_batch(&texts)?;
            let items: Vec<_> = chunk.iter().cloned().zip(vectors).collect();
            self.store.store_embeddings(&items)?;
            progress(((done + 1) * 8).min(total), total);
        }
        self.refresh_readiness();
        Ok(total)
    }

    fn refresh_readiness(&mut self) {
        self.ready = self.embedder.is_some()
            && self
                .store
                .embedding_progress()
                .is_ok_and(|(done, total)| done == total && total > 0);
    }

    /// True when semantic search can run: an embedder is set and every document has its vector.
    pub fn semantic_ready(&self) -> bool {
        self.ready
    }

    /// Sets (or replaces) the embedder, e.g. once a background thread has loaded the model.
    /// The store must already hold vectors of this embedder's model for semantic search to run.
    pub fn set_embedder(&mut self, embedder: Arc<dyn Embedder>) {
        self.embedder = Some(embedder);
        self.refresh_readiness();
    }

    /// Whether `query` would use a query vector (so a front end can compute it off its UI thread).
    pub fn wants_vector(&self, query: &Query) -> bool {
        query.mode != Mode::Keyword
            && self.ready
            && text::tokens(&query.text)
                .iter()
                .any(|t| !text::is_stopword(t))
    }

    /// The text to embed for a query (the query plus long forms of its abbreviations).
    pub fn semantic_query_text(&self, query: &str) -> String {
        let expansion = self.expander.expand(&text::tokens(query));
        self.semantic_text(query, &expansion)
    }

    /// Searches, embedding the query when semantic evidence is wanted. The query is embedded on a
    /// second thread while the keyword pass runs on this one (the store stays on this thread).
    pub fn search(&self, query: &Query) -> Result<SearchResults, SearchError> {
        match (&self.embedder, self.wants_vector(query)) {
            (Some(embedder), true) => {
                let text = self.semantic_query_text(&query.text);
                self.search_then_vector(
                    query,
                    Some(move || embedder.embed(&text).map_err(SearchError::from)),
                )
            }
            _ => self.search_with_vector(query, None),
        }
    }

    /// Searches with a query vector computed elsewhere (`None`: keyword evidence only, as while the
    /// vector is still being computed).
    pub fn search_with_vector(
        &self,
        query: &Query,
        vector: Option<&[f32]>,
    ) -> Result<SearchResults, SearchError> {
        self.search_then_vector(query, vector.map(|v| move || Ok(v.to_vec())))
    }

    /// The search itself. `vector` computes the query vector (if there is one) on a second thread,
    /// while this one plans the keyword pass. For a store file, both threads then run the store
    /// queries (see `Work`), each on its own connection; for a store in memory, this one runs them.
    fn search_then_vector(
        &self,
        query: &Query,
        vector: Option<impl FnOnce() -> Result<Vec<f32>, SearchError> + Send>,
    ) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        let tokens = text::tokens(&query.text);
        let content: Vec<String> = tokens
            .iter()
            .filter(|t| !text::is_stopword(t))
            .cloned()
            .collect();
        let semantic_ready = self.semantic_ready();
        if content.is_empty() {
            return Ok(self.browse(query, started, semantic_ready));
        }

        let expansion = self.expander.expand(&tokens);
        let mut notes = expansion.notes.clone();
        let mut corrections: Vec<String> = Vec::new();
        for token in &content {
            let fixed = self.typos.corrections(token);
            if !fixed.is_empty() {
                notes.push(format!("{token} → {}", fixed.join(" / ")));
                corrections.extend(fixed);
            }
        }

        // Semantic evidence: unfiltered neighbours (for membership and facet counts), plus
        // neighbours inside the selection when one is active, so filtered results never run short.
        let vector = vector.filter(|_| query.mode != Mode::Keyword && semantic_ready);
        let mut filters = Vec::new();
        if vector.is_some() {
            filters.push(KnnFilter::default());
            if !query.selection.is_empty() {
                filters.push(self.knn_filter(&query.selection)?);
            }
        }
        let k = self.knn_k();
        // The store queries become tasks that the two threads share: keyword scoring as soon as
        // the phrases are known, the vector search (one task per filter and part of the index)
        // once the worker has computed the query vector.
        let reader = self.store.reader();
        let shards: Vec<Option<i64>> =
            if reader.is_some() && self.docs.len() >= self.params.shard_from {
                (0..VECTOR_SHARDS).map(Some).collect()
            } else {
                vec![None]
            };
        let work = Work::new(&filters, k, vector.is_some());
        let keyword = std::thread::scope(|scope| {
            let worker = vector.map(|vector| {
                let (work, shards) = (&work, &shards);
                scope.spawn(move || -> Result<(), SearchError> {
                    // Releases the other thread even if computing the vector fails.
                    let _gate = VectorGate(work);
                    work.provide_vector(vector()?, shards);
                    match reader {
                        Some(reader) => work.run(reader),
                        None => Ok(()),
                    }
                })
            });
            let keyword = self
                .keyword_plan(query, &content, &expansion, &corrections, &mut notes, &work)
                .and_then(|plan| work.run(&self.store).map(|()| plan));
            let worker = worker.map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(SearchError::Embed(crate::embed::EmbedError::Inference(
                        "the query vector thread panicked".into(),
                    )))
                })
            });
            keyword.and_then(|plan| worker.unwrap_or(Ok(())).map(|()| plan))
        })?;
        let done = work.finish();
        let keyword = self.keyword_evidence(keyword, done.keyword);
        let run_semantic = done.had_vector;
        let neighbours = done.neighbours;
        let mut semantic: HashMap<usize, f32> = HashMap::new();
        for (rowid, distance) in neighbours {
            if let Some(i) = self.by_rowid.get(rowid) {
                semantic.insert(i, 1.0 - distance);
            }
        }

        // Documents named exactly by the query, by one of its words (three letters or more), or by
        // a typo correction.
        let joined = content.join(" ");
        let exact_docs: HashSet<u32> = std::iter::once(&joined)
            .chain(content.iter().filter(|t| t.chars().count() >= 3))
            .chain(&corrections)
            .filter_map(|name| self.by_name.get(name))
            .flatten()
            .copied()
            .collect();
        let exact = |i: usize| exact_docs.contains(&(i as u32));
        let p = self.params;
        let mut scored: Vec<(usize, f32, bool)> = Vec::new();
        let candidates: HashSet<usize> = keyword.keys().chain(semantic.keys()).copied().collect();
        for i in candidates {
            let kw = keyword.get(&i).copied();
            let sem = semantic.get(&i).copied();
            let is_exact = kw.is_some() && exact(i);
            let member = match query.mode {
                Mode::Keyword => kw.is_some(),
                Mode::Semantic => sem.is_some_and(|s| s >= p.semantic_threshold),
                Mode::Hybrid => kw.is_some() || sem.is_some_and(|s| s >= p.semantic_threshold),
            };
            if !member {
                continue;
            }
            let bonus = if is_exact { p.exact_weight } else { 0.0 };
            let score = match query.mode {
                Mode::Keyword => kw.unwrap_or(0.0) + bonus,
                Mode::Semantic => sem.unwrap_or(0.0),
                // Without vectors yet, hybrid degrades to keyword ranking.
                Mode::Hybrid if !run_semantic => kw.unwrap_or(0.0) + bonus,
                Mode::Hybrid => sem.unwrap_or(0.0) + p.keyword_weight * kw.unwrap_or(0.0) + bonus,
            };
            scored.push((i, score, is_exact));
        }

        let facets = self.facet_counts(scored.iter().map(|(i, _, _)| *i), &query.selection);
        let mut filtered: Vec<(usize, f32, bool)> = scored
            .into_iter()
            .filter(|(i, _, _)| self.docs[*i].matches(&query.selection, None))
            .collect();
        filtered.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.docs[a.0].tier_rank.cmp(&self.docs[b.0].tier_rank))
                .then_with(|| self.docs[a.0].name.cmp(&self.docs[b.0].name))
        });
        let total = filtered.len();
        filtered.truncate(query.limit.unwrap_or(usize::MAX));
        // "Why" names the user's own words (and their corrections); expansions show as facets.
        let mut words: Vec<String> = content.clone();
        words.extend(corrections.iter().cloned());
        let results = filtered
            .into_iter()
            .map(|(i, score, is_exact)| {
                let doc = &self.docs[i];
                Hit {
                    id: doc.id.clone(),
                    name: doc.name.clone(),
                    score,
                    why: Why {
                        terms: self.matched_terms(doc, &words),
                        facets: expansion
                            .facets
                            .iter()
                            .filter(|(f, v)| doc.values(*f).iter().any(|x| x == v))
                            .map(|(f, v)| {
                                format!("{}: {}", f.label(), self.vocab.label(f.vocab(), v))
                            })
                            .collect(),
                        semantic: semantic.get(&i).copied(),
                        exact_name: is_exact,
                    },
                }
            })
            .collect();
        Ok(SearchResults {
            query: query.text.clone(),
            mode: query.mode,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            total,
            results,
            facets,
            notes,
            semantic_ready,
        })
    }

    /// The FTS5 phrases of a query's keyword pass. Those not scored yet are queued in `work`, in
    /// rowid ranges of about `FusionParams::task_matches` matches.
    fn keyword_plan(
        &self,
        query: &Query,
        content: &[String],
        expansion: &text::Expansion,
        corrections: &[String],
        notes: &mut Vec<String>,
        work: &Work,
    ) -> Result<KeywordPlan, SearchError> {
        if query.mode == Mode::Semantic {
            return Ok(Vec::new());
        }
        // (FTS5 phrase, how many documents it matches, words shown if it is left out)
        let mut phrases: Vec<(String, usize, String)> = Vec::new();
        let mut add = |fts: String, prefix: bool, words: String| -> Result<(), SearchError> {
            // A prefix stands for many words; it is never left out.
            let matches = if prefix {
                0
            } else {
                self.phrase_matches(&fts)?
            };
            phrases.push((fts, matches, words));
            Ok(())
        };
        for (i, token) in content.iter().enumerate() {
            let prefix = query.prefix_last && i + 1 == content.len() && token.chars().count() >= 2;
            add(
                text::fts_phrase(std::slice::from_ref(token), prefix),
                prefix,
                token.clone(),
            )?;
        }
        // Facet synonyms are indexed with each document (the `keywords` column), so only the
        // abbreviation groups need expanding here; fewer terms keep bm25 fast on large stores.
        for phrase in &expansion.query_phrases {
            add(text::fts_phrase(phrase, false), false, phrase.join(" "))?;
        }
        for c in corrections {
            add(
                text::fts_phrase(std::slice::from_ref(c), false),
                false,
                c.clone(),
            )?;
        }
        phrases.sort();
        phrases.dedup_by(|a, b| a.0 == b.0);
        let matches: HashMap<String, usize> =
            phrases.iter().map(|(p, n, _)| (p.clone(), *n)).collect();
        let (kept, dropped) = without_zero_weight_terms(phrases, self.docs.len());
        if !dropped.is_empty() {
            notes.push(format!(
                "in half the entries or more, so not used for keyword ranking: {}",
                dropped.join(", ")
            ));
        }
        let mut plan = Vec::with_capacity(kept.len());
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
            plan.push((phrase.clone(), cached));
        }
        // Largest first, so that the last tasks, which decide when both threads are done, are
        // the smallest.
        queued.sort_by_key(|task| std::cmp::Reverse(task.0));
        work.push_keyword(
            queued
                .into_iter()
                .map(|(_, phrase, rowids)| (phrase, rowids)),
        );
        Ok(plan)
    }

    /// Keyword evidence for the phrases of `keyword_plan` once their tasks have run: each matching
    /// document's summed per-phrase bm25, normalised by the best, for the top `KEYWORD_HITS`.
    fn keyword_evidence(&self, phrases: KeywordPlan, done: Vec<ScoredTask>) -> HashMap<usize, f32> {
        let mut scored: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
        for (phrase, rows) in done {
            scored.entry(phrase).or_default().extend(rows);
        }
        let mut keyword: HashMap<usize, f32> = HashMap::new();

        // The bm25 of "a OR b OR …" is the sum of each phrase's own bm25, so each phrase is
        // scored once per engine and reused: typing, refining and repeating a query re-scores
        // only its new words.
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
        for i in matched {
            let norm = if max > 0.0 {
                (totals[i] / max) as f32
            } else {
                0.0
            };
            keyword.insert(i, norm);
        }
        keyword
    }

    /// The text embedded for a query: the query itself, plus the long forms of abbreviations it
    /// uses (the model knows "chest X-ray" far better than "CXR").
    fn semantic_text(&self, query: &str, expansion: &text::Expansion) -> String {
        let is_abbreviation = |t: &str| {
            let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
            (2..=5).contains(&letters.len())
                && letters.iter().filter(|c| c.is_uppercase()).count() >= 2
        };
        let mut long: Vec<&str> = Vec::new();
        for token in query.split_whitespace().filter(|t| is_abbreviation(t)) {
            let word = text::tokens(token).join(" ");
            for (said, form) in &expansion.long_forms {
                if *said == word && !long.contains(&form.as_str()) {
                    long.push(form);
                }
            }
        }
        if long.is_empty() {
            query.to_owned()
        } else {
            format!("{query} ({})", long.join(", "))
        }
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

    /// A phrase's cached keyword scores: every document it matches (by position in `docs`) with
    /// the phrase's bm25 share.
    fn cached_scores(&self, phrase: &str) -> Option<Arc<Vec<(u32, f64)>>> {
        self.phrase_scores.lock().ok()?.get(phrase)
    }

    /// Turns a phrase's scored rows into its cached scores, kept while the cache has room.
    fn keep_scores(&self, phrase: &str, rows: Vec<(i64, f64)>) -> Arc<Vec<(u32, f64)>> {
        let scores: Vec<(u32, f64)> = rows
            .into_iter()
            // A positive floor keeps "matched" distinct from "no score" when summing.
            .filter_map(|(rowid, score)| {
                self.by_rowid
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
        let rowids = &self.sorted_rowids;
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

    /// The neighbours asked of the vector index: `knn_k`, fewer on very large catalogues. sqlite-vec
    /// selects the nearest `k` of every 1,024-vector chunk by `k` passes over it, so its work grows
    /// with entries × `k`; that product is capped, down to a floor of 50 neighbours.
    fn knn_k(&self) -> usize {
        const WORK: usize = 2_000_000;
        const FLOOR: usize = 50;
        let n = self.docs.len().max(1);
        let k = self.params.knn_k.min((WORK / n).max(FLOOR));
        k.min(n)
    }

    fn knn_filter(&self, selection: &Selection) -> Result<KnnFilter, SearchError> {
        let mut filter = KnnFilter::default();
        let mut rowid_sets: Vec<HashSet<i64>> = Vec::new();
        for (facet, values) in &selection.0 {
            let values: Vec<String> = values.iter().cloned().collect();
            match facet {
                FacetKind::Tier => {
                    filter.tiers = values
                        .iter()
                        .map(|v| {
                            if v == facets::NO_TIER {
                                0
                            } else {
                                v.parse().unwrap_or(-1)
                            }
                        })
                        .collect();
                }
                FacetKind::Access => filter.access = values,
                FacetKind::Domain => filter.domains = values,
                multi => rowid_sets.push(
                    self.store
                        .rowids_with(multi.key(), &values)?
                        .into_iter()
                        .collect(),
                ),
            }
        }
        if let Some(first) = rowid_sets.pop() {
            let both: Vec<i64> = first
                .into_iter()
                .filter(|r| rowid_sets.iter().all(|s| s.contains(r)))
                .collect();
            filter.rowids = Some(both);
        }
        Ok(filter)
    }

    fn matched_terms(&self, doc: &DocMeta, words: &[String]) -> Vec<String> {
        let mut found: Vec<String> = words
            .iter()
            .filter(|w| {
                self.words
                    .get(w.as_str())
                    .is_some_and(|id| doc.words.binary_search(id).is_ok())
            })
            .cloned()
            .collect();
        found.dedup();
        found
    }

    /// Empty query: every entry passing the filters, by tier then name.
    fn browse(&self, query: &Query, started: Instant, semantic_ready: bool) -> SearchResults {
        let all: Vec<usize> = (0..self.docs.len()).collect();
        let facets = self.facet_counts(all.iter().copied(), &query.selection);
        let mut hits: Vec<&DocMeta> = self
            .docs
            .iter()
            .filter(|d| d.matches(&query.selection, None))
            .collect();
        hits.sort_by(|a, b| {
            a.tier_rank
                .cmp(&b.tier_rank)
                .then_with(|| a.name.cmp(&b.name))
        });
        let total = hits.len();
        let results = hits
            .into_iter()
            .take(query.limit.unwrap_or(usize::MAX))
            .map(|d| Hit {
                id: d.id.clone(),
                name: d.name.clone(),
                score: 0.0,
                why: Why::default(),
            })
            .collect();
        SearchResults {
            query: query.text.clone(),
            mode: query.mode,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            total,
            results,
            facets,
            notes: Vec::new(),
            semantic_ready,
        }
    }

    /// Disjunctive counts: for each facet value, how many matching documents would be shown if it
    /// were selected too, given the other facets' selections.
    fn facet_counts(
        &self,
        members: impl Iterator<Item = usize>,
        selection: &Selection,
    ) -> Vec<FacetCounts> {
        // One visit per document (its data is scattered in memory), counting every facet.
        let mut counts: Vec<Vec<usize>> =
            self.facet_lists.iter().map(|l| vec![0; l.len()]).collect();
        for i in members {
            let doc = &self.docs[i];
            for (f, &facet) in FacetKind::ALL.iter().enumerate() {
                if selection.is_empty() || doc.matches(selection, Some(facet)) {
                    for &id in doc.facet_ids(f) {
                        counts[f][id as usize] += 1;
                    }
                }
            }
        }
        FacetKind::ALL
            .iter()
            .zip(&self.facet_lists)
            .zip(counts)
            .map(|((&facet, list), counts)| FacetCounts {
                facet,
                label: facet.label(),
                values: list
                    .iter()
                    .zip(counts)
                    .map(|((value, label), count)| FacetValue {
                        value: value.clone(),
                        label: label.clone(),
                        count,
                    })
                    .collect(),
            })
            .collect()
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

/// How many keyword matches, best first, take part in a search.
const KEYWORD_HITS: usize = 2_000;
/// A phrase's keyword scoring is split in at most this many rowid ranges (see `task_matches`).
const MAX_TASKS_PER_PHRASE: usize = 6;

/// Document positions by rowid. SQLite hands out rowids in sequence, so a table indexed by rowid
/// is small; if deletions ever leave them sparse, a map takes over.
enum RowidIndex {
    Dense { first: i64, positions: Vec<u32> },
    Sparse(HashMap<i64, usize>),
}

impl RowidIndex {
    fn new(rowids: impl Iterator<Item = i64> + Clone) -> RowidIndex {
        let count = rowids.clone().count();
        let (first, last) = rowids
            .clone()
            .fold((i64::MAX, i64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)));
        let span = last.saturating_sub(first).saturating_add(1);
        if count == 0 || span > (4 * count + 1024) as i64 || count >= u32::MAX as usize {
            return RowidIndex::Sparse(rowids.enumerate().map(|(i, r)| (r, i)).collect());
        }
        let mut positions = vec![u32::MAX; span as usize];
        for (i, r) in rowids.enumerate() {
            positions[(r - first) as usize] = i as u32;
        }
        RowidIndex::Dense { first, positions }
    }

    fn get(&self, rowid: i64) -> Option<usize> {
        match self {
            RowidIndex::Dense { first, positions } => {
                let slot = usize::try_from(rowid.checked_sub(*first)?).ok()?;
                positions
                    .get(slot)
                    .filter(|&&p| p != u32::MAX)
                    .map(|&p| p as usize)
            }
            RowidIndex::Sparse(map) => map.get(&rowid).copied(),
        }
    }
}

/// The phrases of a keyword pass, each with its scores if they were cached when it was planned.
type KeywordPlan = Vec<(String, Option<Arc<Vec<(u32, f64)>>>)>;

/// A phrase and the (rowid, bm25) rows of one of its rowid ranges.
type ScoredTask = (String, Vec<(i64, f64)>);

/// One store query of a search.
enum Task {
    /// Score a phrase over a rowid range.
    Keyword(String, RangeInclusive<i64>),
    /// Search one part of the vector index (or all of it) under the filter at this position.
    Vector(Arc<Vec<f32>>, usize, Option<i64>),
}

/// A search's store queries, shared by two threads that each run them on their own connection
/// until none is left. Vector tasks are queued once the query vector exists; until then a thread
/// that runs out of tasks waits for them.
struct Work<'a> {
    filters: &'a [KnnFilter],
    k: usize,
    state: Mutex<WorkState>,
    changed: Condvar,
}

#[derive(Default)]
struct WorkState {
    queue: VecDeque<Task>,
    /// The query vector is still being computed.
    awaiting_vector: bool,
    /// The query vector was provided (its searches are queued or done).
    had_vector: bool,
    keyword: Vec<ScoredTask>,
    /// (filter position, neighbours in one part of the index)
    neighbours: Vec<(usize, Vec<(i64, f32)>)>,
}

/// What a search's tasks found.
struct WorkDone {
    had_vector: bool,
    keyword: Vec<ScoredTask>,
    /// The nearest `k` under each filter, all filters together.
    neighbours: Vec<(i64, f32)>,
}

impl<'a> Work<'a> {
    fn new(filters: &'a [KnnFilter], k: usize, awaiting_vector: bool) -> Work<'a> {
        Work {
            filters,
            k,
            state: Mutex::new(WorkState {
                awaiting_vector,
                ..WorkState::default()
            }),
            changed: Condvar::new(),
        }
    }

    fn push_keyword<'p>(&self, tasks: impl Iterator<Item = (&'p str, RangeInclusive<i64>)>) {
        let mut state = lock(&self.state);
        state
            .queue
            .extend(tasks.map(|(p, r)| Task::Keyword(p.to_owned(), r)));
        drop(state);
        self.changed.notify_all();
    }

    /// Stores the query vector and queues its searches, ahead of the (smaller) keyword tasks.
    fn provide_vector(&self, vector: Vec<f32>, shards: &[Option<i64>]) {
        let mut state = lock(&self.state);
        let vector = Arc::new(vector);
        state.had_vector = true;
        for filter in (0..self.filters.len()).rev() {
            for &shard in shards.iter().rev() {
                state
                    .queue
                    .push_front(Task::Vector(vector.clone(), filter, shard));
            }
        }
        state.awaiting_vector = false;
        drop(state);
        self.changed.notify_all();
    }

    /// Runs tasks on `reads` until none is left and none is to come.
    fn run(&self, reads: &impl SearchReads) -> Result<(), SearchError> {
        loop {
            let task = {
                let mut state = lock(&self.state);
                loop {
                    if let Some(task) = state.queue.pop_front() {
                        break task;
                    }
                    if !state.awaiting_vector {
                        return Ok(());
                    }
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            };
            match task {
                Task::Keyword(phrase, rowids) => {
                    let rows = reads.keyword_scores(&phrase, rowids)?;
                    lock(&self.state).keyword.push((phrase, rows));
                }
                Task::Vector(vector, filter, shard) => {
                    let rows = reads.knn(&vector, self.k, &self.filters[filter], shard)?;
                    lock(&self.state).neighbours.push((filter, rows));
                }
            }
        }
    }

    fn finish(self) -> WorkDone {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut neighbours = Vec::new();
        for filter in 0..self.filters.len() {
            let mut found: Vec<(i64, f32)> = state
                .neighbours
                .iter()
                .filter(|(f, _)| *f == filter)
                .flat_map(|(_, rows)| rows.iter().copied())
                .collect();
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            found.truncate(self.k);
            neighbours.extend(found);
        }
        WorkDone {
            had_vector: state.had_vector,
            keyword: state.keyword,
            neighbours,
        }
    }
}

/// Marks the query vector as no longer awaited when dropped: after it was provided, or when
/// computing it failed or panicked, so the other thread never waits for it in vain.
struct VectorGate<'w, 'a>(&'w Work<'a>);

impl Drop for VectorGate<'_, '_> {
    fn drop(&mut self) {
        lock(&self.0.state).awaiting_vector = false;
        self.0.changed.notify_all();
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (plain queues).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Per-phrase keyword scores, oldest dropped first once they hold more than `CAPACITY` matches
/// (about 16 MB).
#[derive(Default)]
struct PhraseScores {
    scores: HashMap<String, Arc<Vec<(u32, f64)>>>,
    order: VecDeque<String>,
    held: usize,
}

impl PhraseScores {
    const CAPACITY: usize = 1_000_000;

    fn get(&self, phrase: &str) -> Option<Arc<Vec<(u32, f64)>>> {
        self.scores.get(phrase).cloned()
    }

    fn insert(&mut self, phrase: &str, scores: Arc<Vec<(u32, f64)>>) {
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
mod keyword_terms_tests {
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
