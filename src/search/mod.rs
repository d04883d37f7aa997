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

mod docs;
pub mod eval;
mod explain;
mod facet_counts;
mod fusion;
pub mod index;
mod indexing;
mod keyword;
mod plan;
pub mod shipped;
pub mod text;
mod vector;
mod work;

pub use explain::Why;
pub use indexing::embed_pending;
pub use plan::Plan;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::catalogue::facets::{FacetCounts, Selection};
use crate::catalogue::{Entry, Vocabulary};
use crate::embed::Embedder;
use crate::store::{Store, StoreError, SyncReport};
use docs::Docs;
use fusion::Evidence;
use keyword::{KeywordPlan, PhraseScores};
use text::{Expander, TypoIndex};
use work::{VectorGate, Work};

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

/// A search mode name that is none of `Mode::ALL`'s keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown search mode \"{0}\"; accepted: hybrid, keyword, semantic")]
pub struct UnknownMode(pub String);

impl std::str::FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownMode(s.to_owned()))
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
    /// The nearest this many documents count as matching semantically whatever their similarity,
    /// so that a query whose best matches are all below the threshold still lists them.
    pub semantic_floor: usize,
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
            keyword_weight: 0.2,
            exact_weight: 0.3,
            semantic_threshold: 0.3,
            semantic_floor: 10,
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
    /// The embedding model of the engine (`None` for keyword search only), e.g.
    /// `sentence-transformers/all-MiniLM-L6-v2@f16` or `remote:<model>@<host>`.
    pub model: Option<String>,
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

pub struct SearchEngine {
    store: Store,
    docs: Docs,
    vocab: Vocabulary,
    expander: Expander,
    typos: TypoIndex,
    /// How many documents each FTS5 phrase matches, counted by FTS5 itself the first time a
    /// phrase is searched (the catalogue does not change under an engine).
    phrase_counts: Mutex<HashMap<String, usize>>,
    /// Per-phrase keyword scores (see `keyword`).
    phrase_scores: Mutex<PhraseScores>,
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
        let docs = Docs::build(entries, &documents, &store.rowids()?, vocab);
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
            vocab: vocab.clone(),
            expander: Expander::new(vocab),
            typos,
            phrase_counts: Mutex::new(HashMap::new()),
            phrase_scores: Mutex::new(PhraseScores::default()),
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
        self.docs.len() == 0
    }

    /// Parses a query once, for `search_plan` and for a front end that computes the query vector
    /// itself (`Plan::semantic_text`, `SearchEngine::wants_vector`).
    pub fn plan(&self, query: &Query) -> Plan {
        Plan::new(query, &self.expander, &self.typos)
    }

    /// Whether searching `plan` would use a query vector (so a front end can compute it off its UI
    /// thread).
    pub fn wants_vector(&self, plan: &Plan) -> bool {
        self.ready && plan.wants_vector()
    }

    /// Searches, embedding the query when semantic evidence is wanted. The query is embedded on a
    /// second thread while the keyword pass runs on this one.
    pub fn search(&self, query: &Query) -> Result<SearchResults, SearchError> {
        let plan = self.plan(query);
        match (&self.embedder, self.wants_vector(&plan)) {
            (Some(embedder), true) => {
                let text = plan.semantic_text().to_owned();
                self.run(
                    &plan,
                    Some(move || embedder.embed(&text).map_err(SearchError::from)),
                )
            }
            _ => self.search_plan(&plan, None),
        }
    }

    /// Searches with a query vector computed elsewhere (`None`: keyword evidence only, as while the
    /// vector is still being computed).
    pub fn search_plan(
        &self,
        plan: &Plan,
        vector: Option<&[f32]>,
    ) -> Result<SearchResults, SearchError> {
        self.run(plan, vector.map(|v| move || Ok(v.to_vec())))
    }

    /// The search itself, stage by stage: gather the evidence (keyword and vector store queries,
    /// see `gather`), fuse it into scored results, count facets over them, then filter, rank and
    /// explain.
    fn run(
        &self,
        plan: &Plan,
        vector: Option<impl FnOnce() -> Result<Vec<f32>, SearchError> + Send>,
    ) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        let query = &plan.query;
        let semantic_ready = self.semantic_ready();
        let (total, hits, facets, notes) = if plan.is_browse() {
            let facets = self.facet_counts(0..self.docs.len(), &query.selection);
            let (total, shown) = self.browse(query);
            (total, self.unexplained(shown), facets, Vec::new())
        } else {
            let mut notes = plan.notes.clone();
            let vector = vector.filter(|_| query.mode != Mode::Keyword && semantic_ready);
            let evidence = self.gather(plan, &mut notes, vector)?;
            let scored = self.fuse(plan, &evidence);
            let facets = self.facet_counts(scored.iter().map(|s| s.doc), &query.selection);
            let (total, ranked) = self.rank(scored, query);
            (
                total,
                self.explain(plan, ranked, &evidence.semantic),
                facets,
                notes,
            )
        };
        Ok(SearchResults {
            query: query.text.clone(),
            mode: query.mode,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            total,
            results: hits,
            facets,
            notes,
            semantic_ready,
            model: self.embedder.as_ref().map(|e| e.id().to_owned()),
        })
    }

    /// Runs a search's store queries. `vector` computes the query vector (if there is one) on a
    /// second thread while this one plans the keyword pass. For a store file, both threads then
    /// run the store queries (see `work`), each on its own connection; for a store in memory, this
    /// one runs them.
    fn gather(
        &self,
        plan: &Plan,
        notes: &mut Vec<String>,
        vector: Option<impl FnOnce() -> Result<Vec<f32>, SearchError> + Send>,
    ) -> Result<Evidence, SearchError> {
        let filters = self.vector_filters(&plan.query.selection, vector.is_some())?;
        let shards = self.vector_shards();
        let reader = self.store.reader();
        let work = Work::new(&filters, self.knn_k(), vector.is_some());
        let keyword: KeywordPlan = std::thread::scope(|scope| {
            let worker = vector.map(|vector| {
                let (work, shards) = (&work, &shards);
                scope.spawn(move || -> Result<(), SearchError> {
                    // Releases the other thread even if computing the vector fails.
                    let _gate = VectorGate(work);
                    work.provide_vector(vector()?, shards);
                    reader.map_or(Ok(()), |reader| work.run(reader))
                })
            });
            let keyword = self
                .keyword_plan(plan, notes, &work)
                .and_then(|keyword| work.run(&self.store).map(|()| keyword));
            let worker = worker.map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(SearchError::Embed(crate::embed::EmbedError::Inference(
                        "the query vector thread panicked".into(),
                    )))
                })
            });
            keyword.and_then(|keyword| worker.unwrap_or(Ok(())).map(|()| keyword))
        })?;
        let done = work.finish();
        Ok(Evidence {
            keyword: self.keyword_evidence(keyword, done.keyword),
            semantic: self.semantic_evidence(done.neighbours),
            had_vector: done.had_vector,
        })
    }
}
