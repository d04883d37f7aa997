//! Semantic mode against the plain recipe it must not fall behind: the embedded MiniLM over each
//! entry's name, aliases, summary and description, every entry ranked by cosine similarity alone.
//! The recipe is computed here with the same model (the parity test shows it reproduces
//! sentence-transformers), on the development queries.

use std::sync::Arc;

use medatlas::embed::{Embedder, MiniLm, cosine};
use medatlas::engine::{self, EmbedderChoice};
use medatlas::search::shipped::ShippedVectors;
use medatlas::search::{Mode, eval};
use medatlas::store::Location;

use crate::util::{self, data};

/// (nDCG@10, Recall@5, MRR) of the plain recipe on `judged`.
fn plain_recipe(model: &dyn Embedder, judged: &[eval::Judged]) -> (f64, f64, f64) {
    let entries = &util::catalogue().entries;
    let texts: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{}. {}. {} {}",
                e.name,
                e.aliases.join(", "),
                e.summary,
                e.description
            )
        })
        .collect();
    // The shipped vectors are this model's vectors of these texts (`shipped::` tests check a sample
    // against the model); a text without one is embedded here.
    let shipped = ShippedVectors::bundled().unwrap();
    let vectors: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| match shipped.get(model.id(), t) {
            Some(v) => v.to_vec(),
            None => model.embed(t).unwrap(),
        })
        .collect();
    let mut totals = (0.0, 0.0, 0.0);
    for j in judged {
        let q = model.embed(&j.query).unwrap();
        let mut ranked: Vec<(f32, &str)> = vectors
            .iter()
            .zip(entries)
            .map(|(v, e)| (cosine(&q, v), e.id.as_str()))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let ids: Vec<String> = ranked.iter().map(|(_, id)| (*id).to_owned()).collect();
        if std::env::var_os("MEDATLAS_RECIPE_DEBUG").is_some() {
            eprintln!(
                "recipe {:.3} {} {:?}",
                eval::score_ranking(&ids, &j.grades).0,
                j.query,
                &ranked[..10]
            );
        }
        let (n, r, m) = eval::score_ranking(&ids, &j.grades);
        totals = (totals.0 + n, totals.1 + r, totals.2 + m);
    }
    let count = judged.len() as f64;
    (totals.0 / count, totals.1 / count, totals.2 / count)
}

#[test]
fn semantic_mode_matches_the_plain_recipe_on_the_dev_queries() {
    let mut judged = Vec::new();
    for file in ["dev-queries.tsv", "dev-queries-expansion.tsv"] {
        judged.extend(eval::parse_judged(&std::fs::read_to_string(data(file)).unwrap()).unwrap());
    }
    let model: Arc<dyn Embedder> = Arc::new(MiniLm::load().unwrap());
    let recipe = plain_recipe(model.as_ref(), &judged);
    let built = engine::build(
        util::catalogue(),
        &Location::Memory,
        &EmbedderChoice::MiniLm,
        |_, _| {},
    )
    .unwrap();
    let mut line = format!(
        "plain recipe: nDCG@10 {:.3}, Recall@5 {:.3}, MRR {:.3}",
        recipe.0, recipe.1, recipe.2
    );
    let mut semantic = 0.0;
    for mode in Mode::ALL {
        let r = eval::evaluate(&built.engine, &judged, mode).unwrap();
        line.push_str(&format!(
            "; {}: {:.3}, {:.3}, {:.3}",
            mode.key(),
            r.ndcg_at_10,
            r.recall_at_5,
            r.mrr
        ));
        if mode == Mode::Semantic {
            semantic = r.ndcg_at_10;
        }
    }
    eprintln!("{line}");
    assert!(semantic + 1e-9 >= recipe.0, "{line}");
}
