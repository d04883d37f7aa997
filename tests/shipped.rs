//! The vectors shipped with the bundled catalogue: current for every entry, equal to what the
//! embedded model computes, and used so that a first launch embeds nothing of the bundled catalogue.

use medatlas::embed::{Embedder, MINILM_ID, MiniLm, cosine};
use medatlas::engine::{self, EmbedderChoice};
use medatlas::search::index::embed_text;
use medatlas::search::shipped::{self, ShippedVectors};
use medatlas::store::Location;

use crate::util;

#[test]
fn every_bundled_entry_has_a_current_shipped_vector() {
    let shipped = ShippedVectors::bundled().expect("the shipped vectors parse");
    assert_eq!(
        shipped.model,
        MINILM_ID,
        "regenerate with `{}`",
        shipped::REGENERATE
    );
    let (missing, unused) = shipped::coverage(shipped, &util::catalogue().entries);
    assert!(
        missing.is_empty() && unused == 0,
        "{} is stale: {} entries have no vector for their current text ({}), {} vectors belong to \
         no entry; regenerate it with `{}`",
        shipped::BUNDLED_PATH,
        missing.len(),
        missing.join(", "),
        unused,
        shipped::REGENERATE
    );
}

#[test]
fn shipped_vectors_equal_what_the_model_computes() {
    let shipped = ShippedVectors::bundled().expect("the shipped vectors parse");
    let entries = &util::catalogue().entries;
    let model = MiniLm::load().expect("embedded model");
    // A spread of entries, the same on every run.
    let n = entries.len();
    for i in [0, n / 4, n / 2, 3 * n / 4, n - 1] {
        let text = embed_text(&entries[i]);
        let expected = model.embed(&text).expect("embedding");
        let got = shipped
            .get(MINILM_ID, &text)
            .unwrap_or_else(|| panic!("no shipped vector for {}", entries[i].id));
        let similarity = cosine(&expected, got);
        assert!(
            similarity >= 0.9999,
            "{}: cosine {similarity} between the shipped and a fresh vector; regenerate with `{}`",
            entries[i].id,
            shipped::REGENERATE
        );
    }
}

#[test]
fn a_first_launch_embeds_nothing_of_the_bundled_catalogue() {
    let mut calls = Vec::new();
    let built = engine::build(
        util::catalogue(),
        &Location::Memory,
        &EmbedderChoice::MiniLm,
        |done, total| calls.push((done, total)),
    )
    .expect("engine");
    assert!(calls.is_empty(), "embedded at first launch: {calls:?}");
    assert!(built.engine.semantic_ready());
}

#[test]
fn a_user_entry_is_still_embedded_on_demand() {
    let dir = util::data("user-catalogue");
    let options = medatlas::catalogue::LoadOptions {
        extra_dirs: vec![dir],
        ..Default::default()
    };
    let catalogue = medatlas::catalogue::Catalogue::load(&options).expect("catalogue");
    let mut calls = Vec::new();
    let built = engine::build(
        &catalogue,
        &Location::Memory,
        &EmbedderChoice::MiniLm,
        |done, total| calls.push((done, total)),
    )
    .expect("engine");
    // example-brain-mri is new; the user's mias.toml replaces the bundled entry with other text.
    assert_eq!(calls.first(), Some(&(0, 2)), "{calls:?}");
    assert!(built.engine.semantic_ready());
}
