//! The search engine on the real store and the real embedded model.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use medatlas::catalogue::facets::{FacetKind, Selection};
use medatlas::embed::{CachedEmbedder, EmbedError, Embedder, MiniLm, cosine};
use medatlas::search::{FusionParams, Mode, Query, SearchEngine, eval};
use medatlas::store::{Location, SearchReads, Store};

use crate::util::{catalogue, data, temp_dir};

fn minilm() -> Arc<dyn Embedder> {
    static M: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    M.get_or_init(|| Arc::new(CachedEmbedder::new(MiniLm::load().expect("model"), 128)))
        .clone()
}

/// One engine for the search tests, indexed once (embedding the catalogue is the slow part).
fn engine() -> MutexGuard<'static, SearchEngine> {
    static E: OnceLock<Mutex<SearchEngine>> = OnceLock::new();
    E.get_or_init(|| {
        let c = catalogue();
        let store = Store::open(&Location::Memory, minilm().id(), minilm().dimension()).unwrap();
        let mut engine =
            SearchEngine::new(&c.entries, &c.vocabulary, store, Some(minilm())).unwrap();
        engine.index_embeddings(|_, _| {}).unwrap();
        Mutex::new(engine)
    })
    .lock()
    .unwrap_or_else(|p| p.into_inner())
}

fn ids(engine: &SearchEngine, query: Query) -> Vec<String> {
    engine
        .search(&query)
        .unwrap()
        .results
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn q(text: &str) -> Query {
    Query {
        text: text.into(),
        limit: Some(10),
        ..Default::default()
    }
}

#[test]
fn embeddings_match_the_python_reference() {
    let path = data("minilm-reference.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let texts = reference["texts"].as_array().unwrap();
    let vectors = reference["embeddings"].as_array().unwrap();
    assert!(texts.len() >= 20);
    let model = MiniLm::load().unwrap();
    let mut worst = 1.0f32;
    for (text, expected) in texts.iter().zip(vectors) {
        let expected: Vec<f32> = expected
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let got = model.embed(text.as_str().unwrap()).unwrap();
        assert_eq!(got.len(), 384);
        let c = cosine(&got, &expected);
        worst = worst.min(c);
        assert!(c >= 0.9999, "cosine {c} for {:?}", text.as_str().unwrap());
    }
    eprintln!("lowest cosine against the reference: {worst}");
}

/// The development queries: those written for the seed catalogue, then those for the expansion.
fn dev_queries() -> Vec<eval::Judged> {
    let mut judged = Vec::new();
    for file in ["dev-queries.tsv", "dev-queries-expansion.tsv"] {
        let text = std::fs::read_to_string(data(file)).unwrap();
        judged.extend(eval::parse_judged(&text).unwrap_or_else(|e| panic!("{file}: {e}")));
    }
    judged
}

#[test]
fn default_mode_meets_the_quality_bar_and_beats_both_halves() {
    let engine = engine();
    let judged = dev_queries();
    let hybrid = eval::evaluate(&engine, &judged, Mode::Hybrid).unwrap();
    let keyword = eval::evaluate(&engine, &judged, Mode::Keyword).unwrap();
    let semantic = eval::evaluate(&engine, &judged, Mode::Semantic).unwrap();
    eprintln!(
        "{} queries: nDCG@10 hybrid {:.3} keyword {:.3} semantic {:.3}; judged ids not in the \
         catalogue (dropped): {:?}",
        judged.len(),
        hybrid.ndcg_at_10,
        keyword.ndcg_at_10,
        semantic.ndcg_at_10,
        hybrid.unknown_ids
    );
    assert!(
        hybrid.ndcg_at_10 >= 0.90,
        "hybrid nDCG@10 {}",
        hybrid.ndcg_at_10
    );
    assert!(hybrid.ndcg_at_10 >= keyword.ndcg_at_10);
    assert!(hybrid.ndcg_at_10 >= semantic.ndcg_at_10);
}

#[test]
fn typos_still_find_the_dataset() {
    let engine = engine();
    let top3 = |text: &str| {
        ids(&engine, q(text))
            .into_iter()
            .take(3)
            .collect::<Vec<_>>()
    };
    let alz = top3("alzhiemer");
    assert!(alz.contains(&"adni".to_owned()), "{alz:?}");
    // Every one of the top 3 is a mammography dataset.
    let mammo = top3("mamography");
    let c = catalogue();
    assert!(
        mammo.len() == 3
            && mammo.iter().all(|id| {
                c.get(id)
                    .is_some_and(|e| e.modalities.iter().any(|m| m == "MG"))
            }),
        "{mammo:?}"
    );
    let results = engine.search(&q("mamography")).unwrap();
    assert!(
        results
            .notes
            .iter()
            .any(|n| n == "mamography → mammography"),
        "{:?}",
        results.notes
    );
}

#[test]
fn names_acronyms_and_abbreviations_rank_first() {
    let engine = engine();
    assert_eq!(ids(&engine, q("ADNI"))[0], "adni");
    assert_eq!(ids(&engine, q("OASIS"))[0], "oasis");
    assert_eq!(ids(&engine, q("ChestX-ray14"))[0], "nih-chestxray14");
    // "CXR" is expanded to chest X-ray: chest radiograph sets with pneumonia labels rank high.
    let cxr = ids(&engine, q("CXR pneumonia"));
    assert!(
        cxr[..5].iter().any(
            |id| ["rsna-pneumonia", "nih-chestxray14", "kermany-oct-cxr"].contains(&id.as_str())
        ),
        "{cxr:?}"
    );
    let wsi = ids(&engine, q("WSI breast"));
    assert!(wsi[..3].contains(&"bcnb".to_owned()), "{wsi:?}");
}

#[test]
fn results_explain_why_they_matched() {
    let engine = engine();
    let r = engine.search(&q("mammography")).unwrap();
    let first = &r.results[0];
    assert!(
        first.why.terms.contains(&"mammography".to_owned()),
        "{:?}",
        first.why
    );
    assert!(
        first
            .why
            .facets
            .iter()
            .any(|f| f == "Modality: Mammography"),
        "{:?}",
        first.why
    );
    assert!(first.why.semantic.is_some());
    let k = engine
        .search(&Query {
            mode: Mode::Keyword,
            ..q("mammography")
        })
        .unwrap();
    assert!(k.results[0].why.semantic.is_none());
}

#[test]
fn empty_query_browses_by_tier_then_name() {
    let engine = engine();
    let r = engine.search(&Query::new("")).unwrap();
    assert_eq!(r.total, catalogue().entries.len());
    let c = catalogue();
    let tiers: Vec<u8> = r
        .results
        .iter()
        .map(|h| c.get(&h.id).unwrap().tier.unwrap_or(9))
        .collect();
    assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
    let tier1: Vec<&str> = r
        .results
        .iter()
        .take_while(|h| c.get(&h.id).unwrap().tier == Some(1))
        .map(|h| h.name.as_str())
        .collect();
    let mut sorted = tier1.clone();
    sorted.sort();
    assert_eq!(tier1, sorted);
}

#[test]
fn filters_are_or_within_a_facet_and_across_facets_and() {
    let engine = engine();
    let c = catalogue();
    let mut selection = Selection::default();
    selection.insert(FacetKind::Modality, "MG");
    selection.insert(FacetKind::Modality, "US");
    let r = engine
        .search(&Query {
            selection: selection.clone(),
            ..Query::new("")
        })
        .unwrap();
    let expected = c
        .entries
        .iter()
        .filter(|e| e.modalities.iter().any(|m| m == "MG" || m == "US"))
        .count();
    assert_eq!(r.total, expected);
    selection.insert(FacetKind::Tier, "1");
    let r = engine
        .search(&Query {
            selection: selection.clone(),
            ..Query::new("")
        })
        .unwrap();
    for hit in &r.results {
        let e = c.get(&hit.id).unwrap();
        assert_eq!(e.tier, Some(1));
        assert!(e.modalities.iter().any(|m| m == "MG" || m == "US"));
    }
    // With a query, semantic neighbours are filtered inside the vector search.
    let r = engine
        .search(&Query {
            selection,
            ..q("breast cancer screening")
        })
        .unwrap();
    assert!(!r.results.is_empty());
    for hit in &r.results {
        assert_eq!(c.get(&hit.id).unwrap().tier, Some(1), "{}", hit.id);
    }
}

#[test]
fn facet_counts_are_disjunctive() {
    let engine = engine();
    let mut selection = Selection::default();
    selection.insert(FacetKind::Modality, "MG");
    let r = engine
        .search(&Query {
            selection,
            ..Query::new("")
        })
        .unwrap();
    let modality = r
        .facets
        .iter()
        .find(|f| f.facet == FacetKind::Modality)
        .unwrap();
    let mr = modality.values.iter().find(|v| v.value == "MR").unwrap();
    let c = catalogue();
    // Counts of the selected facet ignore its own selection: ticking MR as well would add these.
    assert_eq!(
        mr.count,
        c.entries
            .iter()
            .filter(|e| e.modalities.iter().any(|m| m == "MR"))
            .count()
    );
    let tier = r
        .facets
        .iter()
        .find(|f| f.facet == FacetKind::Tier)
        .unwrap();
    let tier_total: usize = tier.values.iter().map(|v| v.count).sum();
    assert_eq!(
        tier_total, r.total,
        "other facets count within the selection"
    );
}

#[test]
fn odd_queries_do_not_break_search() {
    let engine = engine();
    for text in [
        "\"",
        "AND OR NOT",
        "*",
        "NEAR(",
        "'; DROP TABLE facets; --",
        "🩻 x-ray",
        "a",
        "   ",
        "\u{0}",
        "((((",
        "title:brain",
        &"very long ".repeat(500),
    ] {
        for mode in Mode::ALL {
            let r = engine.search(&Query { mode, ..q(text) });
            assert!(r.is_ok(), "{text:?} {mode:?}: {r:?}");
        }
    }
    assert_eq!(
        engine.search(&Query::new("")).unwrap().total,
        catalogue().entries.len()
    );
}

/// A tiny deterministic embedder: a second real `Embedder`, to test what a model change does.
struct HashEmbedder;

impl Embedder for HashEmbedder {
    fn id(&self) -> &str {
        "test/hash-8"
    }
    fn dimension(&self) -> usize {
        8
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.0f32; 8];
                for (i, b) in t.bytes().enumerate() {
                    v[i % 8] += f32::from(b);
                }
                medatlas::embed::normalise(v)
            })
            .collect())
    }
}

#[test]
fn store_reindexes_only_what_changed_and_everything_for_a_new_model() {
    let dir = temp_dir();
    let path = dir.path().join("store.sqlite3");
    let c = catalogue();
    let hash: Arc<dyn Embedder> = Arc::new(HashEmbedder);
    let open = |embedder: &Arc<dyn Embedder>| {
        Store::open(
            &Location::File(path.clone()),
            embedder.id(),
            embedder.dimension(),
        )
        .unwrap()
    };
    let mut engine =
        SearchEngine::new(&c.entries, &c.vocabulary, open(&hash), Some(hash.clone())).unwrap();
    assert_eq!(engine.sync_report.added, catalogue().entries.len());
    assert_eq!(
        engine.index_embeddings(|_, _| {}).unwrap(),
        catalogue().entries.len()
    );
    drop(engine);

    let engine =
        SearchEngine::new(&c.entries, &c.vocabulary, open(&hash), Some(hash.clone())).unwrap();
    assert_eq!(engine.sync_report.unchanged, catalogue().entries.len());
    assert_eq!(engine.pending_embeddings().unwrap().len(), 0);
    drop(engine);

    let mut changed = c.entries.clone();
    changed[0].summary.push_str(" Changed.");
    changed.pop();
    let engine =
        SearchEngine::new(&changed, &c.vocabulary, open(&hash), Some(hash.clone())).unwrap();
    assert_eq!(engine.sync_report.updated, 1);
    assert_eq!(engine.sync_report.removed, 1);
    assert_eq!(engine.pending_embeddings().unwrap().len(), 1);
    drop(engine);

    // Another model: every vector is recomputed (none was cached for it).
    struct Other;
    impl Embedder for Other {
        fn id(&self) -> &str {
            "test/other-4"
        }
        fn dimension(&self) -> usize {
            4
        }
        fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            Ok(texts.iter().map(|_| vec![0.5; 4]).collect())
        }
    }
    let other: Arc<dyn Embedder> = Arc::new(Other);
    let engine =
        SearchEngine::new(&changed, &c.vocabulary, open(&other), Some(other.clone())).unwrap();
    assert_eq!(
        engine.pending_embeddings().unwrap().len(),
        catalogue().entries.len() - 1
    );
    drop(engine);

    // Back to the first model: its cached vectors are reused, only the changed entry is missing.
    let engine = SearchEngine::new(&changed, &c.vocabulary, open(&hash), Some(hash)).unwrap();
    assert_eq!(engine.pending_embeddings().unwrap().len(), 1);
}

fn fresh_engine_at(path: &Path) -> (SearchEngine, Vec<String>) {
    let c = catalogue();
    let hash: Arc<dyn Embedder> = Arc::new(HashEmbedder);
    let store = Store::open(
        &Location::File(path.to_owned()),
        hash.id(),
        hash.dimension(),
    )
    .unwrap();
    let warnings = store.warnings.clone();
    let mut engine = SearchEngine::new(&c.entries, &c.vocabulary, store, Some(hash)).unwrap();
    engine.index_embeddings(|_, _| {}).unwrap();
    (engine, warnings)
}

#[test]
fn corrupt_truncated_and_foreign_store_files_are_moved_aside_and_rebuilt() {
    let dir = temp_dir();
    let path = dir.path().join("store.sqlite3");

    // Garbage.
    std::fs::write(
        &path,
        b"this is not a database, just some bytes".repeat(100),
    )
    .unwrap();
    let (engine, warnings) = fresh_engine_at(&path);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("moved to"), "{warnings:?}");
    assert_eq!(
        engine.search(&Query::new("")).unwrap().total,
        catalogue().entries.len()
    );
    assert!(!engine.search(&q("mammography")).unwrap().results.is_empty());
    drop(engine);

    // Truncated: a real store cut in half.
    let bytes = std::fs::read(&path).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", path.display()));
    }
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (engine, warnings) = fresh_engine_at(&path);
    assert_eq!(
        engine.search(&Query::new("")).unwrap().total,
        catalogue().entries.len()
    );
    drop(engine);
    assert!(warnings.len() <= 1, "{warnings:?}");

    // A foreign SQLite database is never deleted: it is moved aside, intact.
    let foreign = dir.path().join("foreign.sqlite3");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
    }
    let (engine, warnings) = fresh_engine_at(&foreign);
    assert!(warnings[0].contains("not a MedAtlas store"), "{warnings:?}");
    assert_eq!(
        engine.search(&Query::new("")).unwrap().total,
        catalogue().entries.len()
    );
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("foreign.sqlite3.unusable-"))
        .filter(|p| {
            !p.to_string_lossy().ends_with("-wal") && !p.to_string_lossy().ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    let kept: String = rusqlite::Connection::open(&aside[0])
        .unwrap()
        .query_row("SELECT text FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, "keep me");
}

#[test]
fn two_engines_share_one_store_file() {
    let dir = temp_dir();
    let path = dir.path().join("store.sqlite3");
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let (engine, _) = fresh_engine_at(&path);
                engine.search(&q("brain")).unwrap().total
            })
        })
        .collect();
    let totals: BTreeSet<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(totals.len(), 1, "both see the same catalogue: {totals:?}");
}

#[test]
fn per_phrase_keyword_scores_add_up_to_fts5_bm25_of_the_or_query() {
    // Keyword ranking sums each phrase's cached bm25 share; that must be FTS5's own score.
    let engine = engine();
    let store = engine.store();
    let phrases = [
        "\"mri\"",
        "\"alzheimer\"",
        "\"whole slide image\"",
        "\"breast\"",
    ];
    // Scored whole, and in rowid ranges (as two threads share the work): the same rows and scores.
    let mut summed: std::collections::BTreeMap<i64, f64> = Default::default();
    let mut summed_in_ranges: std::collections::BTreeMap<i64, f64> = Default::default();
    for p in phrases {
        for (rowid, score) in store.keyword_scores(p, i64::MIN..=i64::MAX).unwrap() {
            *summed.entry(rowid).or_default() += score;
        }
        for range in [i64::MIN..=10, 11..=30, 31..=i64::MAX] {
            for (rowid, score) in store.keyword_scores(p, range).unwrap() {
                *summed_in_ranges.entry(rowid).or_default() += score;
            }
        }
    }
    assert_eq!(summed, summed_in_ranges);
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT rowid, -bm25(knowledge_fts, 10.0, 8.0, 4.0, 1.0, 2.0)
             FROM knowledge_fts WHERE knowledge_fts MATCH ?1",
        )
        .unwrap();
    let direct: std::collections::BTreeMap<i64, f64> = stmt
        .query_map([phrases.join(" OR ")], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(direct.len() > 10, "the query should match many entries");
    assert_eq!(
        summed.keys().collect::<Vec<_>>(),
        direct.keys().collect::<Vec<_>>()
    );
    for (rowid, score) in &direct {
        let ours = summed[rowid];
        assert!(
            (ours - score).abs() <= 1e-9 * score.abs().max(1.0),
            "row {rowid}: summed {ours} vs FTS5 {score}"
        );
    }
}

#[test]
fn a_store_file_searches_on_two_connections_with_the_same_results_as_memory() {
    let c = catalogue();
    let dir = temp_dir();
    let location = Location::File(dir.path().join("store.sqlite3"));
    let store = Store::open(&location, minilm().id(), minilm().dimension()).unwrap();
    let mut on_file = SearchEngine::new(&c.entries, &c.vocabulary, store, Some(minilm())).unwrap();
    on_file.index_embeddings(|_, _| {}).unwrap();
    assert!(
        on_file.store().reader().is_some(),
        "a store file has a second connection"
    );
    let store = Store::open(&Location::Memory, minilm().id(), minilm().dimension()).unwrap();
    let mut in_memory =
        SearchEngine::new(&c.entries, &c.vocabulary, store, Some(minilm())).unwrap();
    in_memory.index_embeddings(|_, _| {}).unwrap();
    assert!(in_memory.store().reader().is_none());

    let text = std::fs::read_to_string(data("dev-queries.tsv")).unwrap();
    let mut texts: Vec<String> = eval::parse_judged(&text)
        .unwrap()
        .into_iter()
        .map(|j| j.query)
        .collect();
    texts.extend(["mamography", "MRI", "chest X-ray"].map(String::from));
    let mut ct = Selection::default();
    ct.0.insert(FacetKind::Modality, ["CT".to_owned()].into());
    let summary = |engine: &SearchEngine, query: &Query| -> Vec<(String, String)> {
        let results = engine.search(query).unwrap();
        let mut out: Vec<(String, String)> = results
            .results
            .iter()
            .map(|h| (h.id.clone(), format!("{:.5}", h.score)))
            .collect();
        out.push(("total".into(), results.total.to_string()));
        out.push((
            "facets".into(),
            serde_json::to_string(&results.facets).unwrap(),
        ));
        out
    };
    // As shipped (the catalogue is too small to split anything), then with every split forced
    // on the store file: keyword phrases in several rowid ranges, the vector index in parts, and
    // few neighbours, so that merging the parts' nearest decides what is found.
    let split = FusionParams {
        knn_k: 6,
        task_matches: 3,
        shard_from: 0,
        ..FusionParams::default()
    };
    let mut compared = 0;
    for params in [FusionParams::default(), split] {
        on_file.set_params(params);
        in_memory.set_params(FusionParams {
            task_matches: usize::MAX,
            ..params
        });
        for text in &texts {
            for mode in Mode::ALL {
                for selection in [Selection::default(), ct.clone()] {
                    let query = Query {
                        text: text.clone(),
                        mode,
                        selection,
                        limit: Some(10),
                        prefix_last: false,
                    };
                    let file = summary(&on_file, &query);
                    assert!(file.len() > 2 || mode != Mode::Hybrid || !query.selection.is_empty());
                    assert_eq!(file, summary(&in_memory, &query), "{text:?} {mode:?}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 200, "{compared}");
}

/// Vectors from a hash of the text: meaningless, but distinct for distinct texts, so nearest
/// neighbours are never tied.
struct NoiseEmbedder;

impl Embedder for NoiseEmbedder {
    fn id(&self) -> &str {
        "test/noise-32"
    }
    fn dimension(&self) -> usize {
        32
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        use std::hash::{Hash, Hasher};
        Ok(texts
            .iter()
            .map(|t| {
                let v = (0..32)
                    .map(|i| {
                        let mut h = std::hash::DefaultHasher::new();
                        (t, i).hash(&mut h);
                        (h.finish() % 2001) as f32 / 1000.0 - 1.0
                    })
                    .collect();
                medatlas::embed::normalise(v)
            })
            .collect())
    }
}

#[test]
fn split_work_on_a_store_file_finds_what_one_connection_finds() {
    // 600 entries span three blocks of the vector index, so both of its parts hold vectors.
    let c = catalogue();
    let entries: Vec<_> = (0..600)
        .map(|i| {
            let mut e = c.entries[i % c.entries.len()].clone();
            e.id = format!("{}-{i}", e.id);
            e.name = format!("{} variant {i}", e.name);
            e
        })
        .collect();
    let noise: Arc<dyn Embedder> = Arc::new(NoiseEmbedder);
    let engine_at = |location: Location| {
        let store = Store::open(&location, noise.id(), noise.dimension()).unwrap();
        let mut engine =
            SearchEngine::new(&entries, &c.vocabulary, store, Some(noise.clone())).unwrap();
        engine.index_embeddings(|_, _| {}).unwrap();
        engine
    };
    let dir = temp_dir();
    let mut on_file = engine_at(Location::File(dir.path().join("store.sqlite3")));
    let mut in_memory = engine_at(Location::Memory);
    let split = FusionParams {
        knn_k: 7,
        task_matches: 40,
        shard_from: 0,
        ..FusionParams::default()
    };
    on_file.set_params(split);
    in_memory.set_params(FusionParams {
        task_matches: usize::MAX,
        ..split
    });
    // The parts really differ: each holds some of the nearest neighbours of some query.
    let store = on_file.store();
    let vector = noise.embed("chest x-ray").unwrap();
    let filter = medatlas::store::KnnFilter::default();
    let part0 = store.knn(&vector, 600, &filter, Some(0)).unwrap();
    let part1 = store.knn(&vector, 600, &filter, Some(1)).unwrap();
    assert!(
        part0.len() >= 250 && part1.len() >= 250,
        "{} {}",
        part0.len(),
        part1.len()
    );
    assert_eq!(part0.len() + part1.len(), 600);

    let mut tier1 = Selection::default();
    tier1.0.insert(FacetKind::Tier, ["1".to_owned()].into());
    for text in [
        "chest x-ray pneumonia",
        "brain MRI segmentation",
        "whole slide images of breast cancer",
        "mamography",
        "imaging",
    ] {
        for mode in Mode::ALL {
            for selection in [Selection::default(), tier1.clone()] {
                let query = Query {
                    text: text.into(),
                    mode,
                    selection,
                    limit: Some(15),
                    prefix_last: false,
                };
                let a = on_file.search(&query).unwrap();
                let b = in_memory.search(&query).unwrap();
                let ids = |r: &medatlas::search::SearchResults| -> Vec<(String, String)> {
                    r.results
                        .iter()
                        .map(|h| (h.id.clone(), format!("{:.5}", h.score)))
                        .collect()
                };
                assert!(
                    !ids(&a).is_empty() || mode == Mode::Keyword,
                    "{text:?} {mode:?}"
                );
                assert_eq!(ids(&a), ids(&b), "{text:?} {mode:?}");
                assert_eq!(a.total, b.total, "{text:?} {mode:?}");
                assert_eq!(a.facets, b.facets, "{text:?} {mode:?}");
            }
        }
    }
}
