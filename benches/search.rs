//! Search speed: end to end on the bundled catalogue, the same without the query embedding, on
//! 100,000 synthetic entries, opening the store when nothing changed, and a first launch until
//! semantic search is ready.
//!
//! Run with `cargo bench --bench search`. Criterion reports the median (p50) of each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use medatlas::catalogue::{Catalogue, Entry};
use medatlas::embed::{CachedEmbedder, Embedder, MiniLm, normalise};
use medatlas::engine::{self, EmbedderChoice};
use medatlas::search::{Query, SearchEngine};
use medatlas::store::{Location, PendingEmbedding, Store};

const QUERIES: &[&str] = &[
    "Alzheimer's disease MRI and PET",
    "mammography CAD",
    "chest X-ray 14 thoracic diseases",
    "histopathology and genomics",
    "open neuroimaging data",
    "breast biopsy whole slide images",
    "protein expression in tissues",
    "COVID-19 imaging",
];

fn engine_with(
    embedder: Arc<dyn Embedder>,
    entries: &[Entry],
    catalogue: &Catalogue,
) -> SearchEngine {
    let store = Store::open(&Location::Memory, embedder.id(), embedder.dimension()).unwrap();
    let mut engine =
        SearchEngine::new(entries, &catalogue.vocabulary, store, Some(embedder)).unwrap();
    engine.index_embeddings(|_, _| {}).unwrap();
    engine
}

fn query(text: &str) -> Query {
    Query {
        text: text.to_owned(),
        limit: Some(20),
        ..Default::default()
    }
}

fn bundled(c: &mut Criterion) {
    let catalogue = Catalogue::bundled().unwrap();
    let model: Arc<dyn Embedder> = Arc::new(MiniLm::load().unwrap());
    let engine = engine_with(model, &catalogue.entries, &catalogue);
    let mut i = 0;
    c.bench_function(
        "search bundled, end to end (query embedding included)",
        |b| {
            b.iter(|| {
                i += 1;
                engine.search(&query(QUERIES[i % QUERIES.len()])).unwrap()
            })
        },
    );

    // The same engine with a warm query cache: everything except computing the query embedding.
    let cached: Arc<dyn Embedder> = Arc::new(CachedEmbedder::new(MiniLm::load().unwrap(), 64));
    for q in QUERIES {
        cached.embed(q).unwrap();
    }
    let engine = engine_with(cached, &catalogue.entries, &catalogue);
    for q in QUERIES {
        engine.search(&query(q)).unwrap();
    }
    c.bench_function("search bundled, without the query embedding", |b| {
        b.iter(|| {
            i += 1;
            engine.search(&query(QUERIES[i % QUERIES.len()])).unwrap()
        })
    });
}

fn store_open(c: &mut Criterion) {
    let catalogue = Catalogue::bundled().unwrap();
    let dir = std::env::temp_dir().join(format!("medatlas-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite3");
    let model: Arc<dyn Embedder> = Arc::new(MiniLm::load().unwrap());
    {
        let store =
            Store::open(&Location::File(path.clone()), model.id(), model.dimension()).unwrap();
        let mut engine = SearchEngine::new(
            &catalogue.entries,
            &catalogue.vocabulary,
            store,
            Some(model.clone()),
        )
        .unwrap();
        engine.index_embeddings(|_, _| {}).unwrap();
    }
    c.bench_function("open store + index check, nothing changed", |b| {
        b.iter(|| {
            let store =
                Store::open(&Location::File(path.clone()), model.id(), model.dimension()).unwrap();
            let engine = SearchEngine::new(
                &catalogue.entries,
                &catalogue.vocabulary,
                store,
                Some(model.clone()),
            )
            .unwrap();
            assert_eq!(engine.sync_report.unchanged, catalogue.entries.len());
            engine
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A first launch: a fresh store file, the embedded model loaded, the bundled catalogue indexed and
/// its shipped vectors stored, until semantic search is ready (nothing is embedded).
fn first_launch(c: &mut Criterion) {
    let catalogue = Catalogue::bundled().unwrap();
    let dir = std::env::temp_dir().join(format!("medatlas-bench-first-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    let mut group = c.benchmark_group("first launch");
    group.sample_size(10);
    group.bench_function(
        "fresh store to semantic search ready (bundled catalogue)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    Location::File(dir.join(format!("store-{n}.sqlite3")))
                },
                |location| {
                    let built =
                        engine::build(&catalogue, &location, &EmbedderChoice::MiniLm, |_, _| {
                            panic!("a bundled entry was embedded at first launch")
                        })
                        .unwrap();
                    assert!(built.engine.semantic_ready());
                    built
                },
                criterion::BatchSize::PerIteration,
            )
        },
    );
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// 100,000 entries made from the bundled ones (new ids and names, same facets), with vectors that
/// are the originals plus noise, so the KNN scans realistic data without embedding 100k texts.
/// The store is a file in a temporary folder.
fn synthetic(c: &mut Criterion) {
    const N: usize = 100_000;
    let catalogue = Catalogue::bundled().unwrap();
    let model = MiniLm::load().unwrap();
    let base_vectors: Vec<Vec<f32>> = catalogue
        .entries
        .iter()
        .map(|e| {
            model
                .embed(&medatlas::search::index::embed_text(e))
                .unwrap()
        })
        .collect();
    let mut entries = Vec::with_capacity(N);
    for i in 0..N {
        let mut e = catalogue.entries[i % catalogue.entries.len()].clone();
        e.id = format!("{}-{i}", e.id);
        e.name = format!("{} variant {i}", e.name);
        entries.push(e);
    }
    let embedder: Arc<dyn Embedder> = Arc::new(CachedEmbedder::new(model, 64));
    // A store file, as the program uses (its cache folder): searches then run the vector pass on
    // the store's second connection, beside the keyword pass.
    let dir = std::env::temp_dir().join(format!("medatlas-bench-100k-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let location = Location::File(dir.join("store.sqlite3"));
    let store = Store::open(&location, embedder.id(), embedder.dimension()).unwrap();
    let started = std::time::Instant::now();
    let mut engine = SearchEngine::new(
        &entries,
        &catalogue.vocabulary,
        store,
        Some(embedder.clone()),
    )
    .unwrap();
    let pending = engine.pending_embeddings().unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed as f64 / u64::MAX as f64) as f32 - 0.5
    };
    for chunk in pending.chunks(5_000) {
        let items: Vec<(PendingEmbedding, Vec<f32>)> = chunk
            .iter()
            .map(|p| {
                let base = &base_vectors[(p.rowid as usize - 1) % base_vectors.len()];
                let v = base.iter().map(|x| x + 0.02 * noise()).collect();
                (p.clone(), normalise(v))
            })
            .collect();
        engine.store_embeddings(&items).unwrap();
    }
    eprintln!(
        "built the 100k-entry store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut i = 0;
    let mut group = c.benchmark_group("synthetic");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(
        "search 100k entries, end to end (query embedding included)",
        |b| {
            b.iter(|| {
                i += 1;
                // A new query text each time defeats the query cache.
                engine
                    .search(&query(&format!("{} {i}", QUERIES[i % QUERIES.len()])))
                    .unwrap()
            })
        },
    );

    // The same, but every query is made of words the engine has not seen yet (so nothing is
    // cached for them): three words at a time, in order, from the 1,200 commonest that keyword
    // search still scores, never reused. This is the cost
    // of a first query; the measurement above is that of queries whose words recur.
    group.finish();
    let mut fresh = common_words(&entries, 1_200).into_iter();
    let mut group = c.benchmark_group("synthetic, new words");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function(
        "search 100k entries, end to end, every query word new to the engine",
        |b| {
            b.iter(|| {
                let words: Vec<String> = fresh.by_ref().take(3).collect();
                assert_eq!(words.len(), 3, "ran out of unused words");
                engine.search(&query(&words.join(" "))).unwrap()
            })
        },
    );
    group.finish();
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The words found in the most entries but in fewer than half of them (the commonest words that
/// keyword search still scores), most common first.
fn common_words(entries: &[Entry], n: usize) -> Vec<String> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for e in entries {
        let mut words: Vec<String> = format!("{} {} {}", e.name, e.summary, e.description)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 3 && !w.chars().any(|c| c.is_ascii_digit()))
            .map(str::to_lowercase)
            .collect();
        words.sort();
        words.dedup();
        for w in words {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut words: Vec<(String, usize)> = counts
        .into_iter()
        .filter(|(_, c)| *c * 2 < entries.len())
        .collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.into_iter().take(n).map(|(w, _)| w).collect()
}

criterion_group!(benches, bundled, store_open, first_launch, synthetic);
fn main() {
    // As the program does first thing: settle the model's thread count while single-threaded.
    eprintln!(
        "inference threads: {:?}",
        medatlas::embed::settle_inference_threads()
    );
    benches();
    Criterion::default().configure_from_args().final_summary();
}
