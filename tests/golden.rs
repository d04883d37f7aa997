//! Golden search results: the ranked ids, scores, totals, notes and facet counts of every dev query
//! and of 50 odd queries, in all three modes, with and without a filter, recorded in
//! `tests/data/golden/search.jsonl`.
//!
//! A change that is not meant to change results (a refactor, a speed-up) must pass this test as it
//! is: same ids in the same order, same totals and counts, scores within 1e-6. A change that is
//! meant to change results regenerates the file in the same commit and says why:
//!
//! ```sh
//! MEDATLAS_UPDATE_GOLDEN=1 cargo test --locked golden
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use medatlas::catalogue::facets::{FacetKind, Selection};
use medatlas::embed::{CachedEmbedder, Embedder, MiniLm};
use medatlas::search::{Mode, Query, SearchEngine, SearchResults, eval};
use medatlas::store::{Location, Store};
use serde::{Deserialize, Serialize};

use crate::util;

const UPDATE_VAR: &str = "MEDATLAS_UPDATE_GOLDEN";
const SCORE_TOLERANCE: f32 = 1e-6;

/// Queries a user may type that are not dev queries: typos, operators, punctuation, unicode,
/// abbreviations, stopwords only, partial words, very long input.
const ODD_QUERIES: [&str; 50] = [
    "",
    "   ",
    "\"",
    "*",
    "a",
    "the of and",
    "AND OR NOT",
    "NEAR(",
    "((((",
    "title:brain",
    "'; DROP TABLE facets; --",
    "🩻 x-ray",
    "\u{0}",
    "mamography",
    "alzeimer",
    "histopathologie",
    "colonoscpy polyps",
    "brian mri",
    "CXR",
    "MRI",
    "CT",
    "PET/CT",
    "OCT retina",
    "WSI",
    "x-ray",
    "X-RAY",
    "chest x ray",
    "Brain-MRI",
    "brain   MRI",
    "mammo",
    "derm",
    "histo",
    "adni",
    "ADNI",
    "tcia",
    "openneuro",
    "MIAS",
    "ddsm mias",
    "camelyon",
    "lung nodule CT",
    "brain tumour segmentation",
    "retinal vessel segmentation",
    "skin lesion dermoscopy",
    "covid-19",
    "COVID 19 chest CT",
    "électron microscopie",
    "脑 MRI",
    "breast cancer -mammography",
    "datasets with open access and no registration",
    "very long query about many things, such as mri ct pet ultrasound microscopy histology and the rest of imaging, repeated twice: mri ct pet ultrasound microscopy histology",
];

/// One recorded search.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Record {
    query: String,
    mode: Mode,
    filter: Option<String>,
    prefix_last: bool,
    total: usize,
    /// (id, score), in rank order.
    results: Vec<(String, f32)>,
    notes: Vec<String>,
    /// Non-zero facet counts: facet key → value → count.
    facets: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Record {
    fn of(query: &Query, filter: Option<&str>, r: &SearchResults) -> Record {
        Record {
            query: query.text.clone(),
            mode: query.mode,
            filter: filter.map(str::to_owned),
            prefix_last: query.prefix_last,
            total: r.total,
            results: r.results.iter().map(|h| (h.id.clone(), h.score)).collect(),
            notes: r.notes.clone(),
            facets: r
                .facets
                .iter()
                .map(|f| {
                    let counts = f
                        .values
                        .iter()
                        .filter(|v| v.count > 0)
                        .map(|v| (v.value.clone(), v.count))
                        .collect();
                    (f.facet.key().to_owned(), counts)
                })
                .collect(),
        }
    }

    fn key(&self) -> String {
        format!(
            "{:?} mode={} filter={:?} prefix_last={}",
            self.query,
            self.mode.key(),
            self.filter,
            self.prefix_last
        )
    }
}

fn golden_path() -> PathBuf {
    util::data("golden/search.jsonl")
}

fn engine() -> SearchEngine {
    let catalogue = util::catalogue();
    let embedder: Arc<dyn Embedder> = Arc::new(CachedEmbedder::new(
        MiniLm::load().expect("embedded model"),
        128,
    ));
    let store = Store::open(&Location::Memory, embedder.id(), embedder.dimension()).unwrap();
    let mut engine = SearchEngine::new(
        &catalogue.entries,
        &catalogue.vocabulary,
        store,
        Some(embedder),
    )
    .unwrap();
    engine.index_embeddings(|_, _| {}).unwrap();
    engine
}

/// The filters each query is also run under: one multi-valued facet (its vector search goes
/// through a rowid filter) and one single-valued facet (filtered inside the vector index).
fn filters() -> Vec<(&'static str, Selection)> {
    let mut modality = Selection::default();
    modality.toggle(FacetKind::Modality, "MR");
    modality.toggle(FacetKind::Modality, "CT");
    let mut access = Selection::default();
    access.toggle(FacetKind::Access, "open");
    vec![("modality=MR|CT", modality), ("access=open", access)]
}

fn run_all(engine: &SearchEngine) -> Vec<Record> {
    let dev = std::fs::read_to_string(util::data("dev-queries.tsv")).unwrap();
    let mut texts: Vec<String> = eval::parse_judged(&dev)
        .unwrap()
        .into_iter()
        .map(|j| j.query)
        .collect();
    texts.extend(ODD_QUERIES.iter().map(|q| (*q).to_owned()));
    let filters = filters();
    let mut records = Vec::new();
    for text in &texts {
        for mode in Mode::ALL {
            for prefix_last in [false, true] {
                let variants = std::iter::once((None, Selection::default()))
                    .chain(filters.iter().map(|(n, s)| (Some(*n), s.clone())));
                for (filter, selection) in variants {
                    let query = Query {
                        text: text.clone(),
                        mode,
                        selection,
                        limit: Some(20),
                        prefix_last,
                    };
                    let results = engine.search(&query).unwrap();
                    records.push(Record::of(&query, filter, &results));
                }
            }
        }
    }
    records
}

#[test]
fn golden_search_results_are_unchanged() {
    let engine = engine();
    let records = run_all(&engine);
    let path = golden_path();
    if std::env::var_os(UPDATE_VAR).is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = String::new();
        for r in &records {
            text.push_str(&serde_json::to_string(r).unwrap());
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        eprintln!("wrote {} records to {}", records.len(), path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with `{UPDATE_VAR}=1 cargo test --locked golden`",
            path.display()
        )
    });
    let expected: Vec<Record> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        expected.len(),
        records.len(),
        "the golden file has a different set of searches; regenerate it with \
         `{UPDATE_VAR}=1 cargo test --locked golden` and say why in the commit"
    );
    let mut problems = Vec::new();
    for (want, got) in expected.iter().zip(&records) {
        let key = want.key();
        if key != got.key() {
            problems.push(format!("search order differs: {key} vs {}", got.key()));
            continue;
        }
        let ids = |r: &Record| {
            r.results
                .iter()
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        };
        if ids(want) != ids(got) {
            problems.push(format!("{key}: ids {:?} → {:?}", ids(want), ids(got)));
        }
        for ((id, a), (_, b)) in want.results.iter().zip(&got.results) {
            if (a - b).abs() > SCORE_TOLERANCE {
                problems.push(format!("{key}: score of {id} {a} → {b}"));
            }
        }
        if want.total != got.total {
            problems.push(format!("{key}: total {} → {}", want.total, got.total));
        }
        if want.notes != got.notes {
            problems.push(format!("{key}: notes {:?} → {:?}", want.notes, got.notes));
        }
        if want.facets != got.facets {
            problems.push(format!("{key}: facet counts differ"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} searches changed (first 20):\n{}",
        problems.len(),
        records.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
