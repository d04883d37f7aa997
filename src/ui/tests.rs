//! The real app driven headless with egui_kittest: typing, facets, keyboard, copy, links, restore.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use eframe::egui;
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use medatlas::catalogue::facets::FacetKind;
use medatlas::catalogue::{Catalogue, LoadOptions};
use medatlas::cite::Format;
use medatlas::store::Location;

use super::app::{App, Deps, STATE_KEY};
use super::state::{Command, State};

/// The HTTP test server of the integration tests: one implementation for both crates.
#[path = "../../tests/util/http.rs"]
#[allow(dead_code)] // these tests need only part of it
mod http;

type Opened = Rc<RefCell<Vec<String>>>;

fn deps(extra_dirs: Vec<PathBuf>, opened: &Opened) -> Deps {
    let opened = opened.clone();
    Deps {
        catalogue: Catalogue::load(&LoadOptions {
            extra_dirs,
            user_dir: None,
        })
        .expect("catalogue"),
        store: Location::Memory,
        load_model: false,
        opener: Box::new(move |url| {
            opened.borrow_mut().push(url.to_owned());
            Ok(())
        }),
        shortlists: None,
        // Nothing listens there: a test that sends to Zotero starts its own stand-in.
        zotero_url: http::closed_port_base(),
        zotero_sent: None,
        // Nothing listens there either: the Add dataset tests start their own stand-in.
        doi_options: medatlas::doi::FetchOptions {
            doi_base: http::closed_port_base(),
            crossref_base: http::closed_port_base(),
            datacite_base: http::closed_port_base(),
            ..Default::default()
        },
        user_dir: None,
        queries_file: None,
        config_file: None,
    }
}

fn harness_with(state: State, extra_dirs: Vec<PathBuf>, opened: &Opened) -> Harness<'static, App> {
    let deps = deps(extra_dirs, opened);
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, state));
    harness.run();
    harness
}

/// A window tall enough that the facet panel and the tool windows show without scrolling.
fn tall_harness() -> Harness<'static, App> {
    let deps = deps(Vec::new(), &Opened::default());
    let mut harness = Harness::builder()
        .with_size([1280.0, 2600.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    harness
}

fn harness(opened: &Opened) -> Harness<'static, App> {
    harness_with(State::default(), Vec::new(), opened)
}

fn handle(harness: &mut Harness<'static, App>, command: Command) {
    start(harness, command);
    harness.run();
}

/// Handles a command without running frames to rest: for commands that start background work,
/// whose progress keeps repainting the window (follow with `run_until`).
fn start(harness: &mut Harness<'static, App>, command: Command) {
    let ctx = harness.ctx.clone();
    harness.state_mut().handle(&ctx, command);
}

#[test]
fn typing_a_query_shows_the_expected_dataset_first() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    assert_eq!(
        harness.state().rows.len(),
        harness.state().catalogue.entries.len()
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search")
        .type_text("MedMNIST");
    harness.run();
    assert_eq!(harness.state().rows[0], "medmnist");
    assert!(harness.state().rows.len() < harness.state().catalogue.entries.len());
    assert!(
        harness
            .get_all_by_label_contains("MedMNIST")
            .next()
            .is_some()
    );
    assert_eq!(harness.state().state.selected.as_deref(), Some("medmnist"));
}

#[test]
fn ticking_a_facet_changes_results_and_counts_and_clear_all_resets() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    let mammography = harness
        .state()
        .catalogue
        .entries
        .iter()
        .filter(|e| e.modalities.iter().any(|m| m == "MG"))
        .count();
    harness
        .get_by_label(&format!("Mammography ({mammography})"))
        .click();
    harness.run();
    assert_eq!(harness.state().rows.len(), mammography);
    assert!(
        harness
            .state()
            .state
            .selection
            .contains(FacetKind::Modality, "MG")
    );
    // Counts of other facets now count within the mammography sets.
    let breast = harness
        .state()
        .catalogue
        .entries
        .iter()
        .filter(|e| {
            e.modalities.iter().any(|m| m == "MG") && e.body_parts.iter().any(|b| b == "breast")
        })
        .count();
    let all_breast = harness
        .state()
        .catalogue
        .entries
        .iter()
        .filter(|e| e.body_parts.iter().any(|b| b == "breast"))
        .count();
    assert!(breast < all_breast, "the unfiltered breast count is larger");
    harness.get_by_label(&format!("Breast ({breast})"));
    // The active filter shows as a removable chip.
    harness.get_by_label("Modality: Mammography ×");
    harness
        .get_all_by_label("Clear all")
        .next()
        .expect("clear all")
        .click();
    harness.run();
    assert_eq!(
        harness.state().rows.len(),
        harness.state().catalogue.entries.len()
    );
    assert!(harness.state().state.selection.is_empty());
}

#[test]
fn keyboard_moves_the_selection_and_opens_details_and_homepage() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    handle(&mut harness, Command::CloseDetail);
    let rows = harness.state().rows.clone();
    harness.key_press(Key::ArrowDown);
    harness.run();
    harness.key_press(Key::ArrowDown);
    harness.run();
    assert_eq!(
        harness.state().state.selected.as_deref(),
        Some(rows[2].as_str())
    );
    harness.key_press(Key::ArrowUp);
    harness.run();
    assert_eq!(
        harness.state().state.selected.as_deref(),
        Some(rows[1].as_str())
    );
    assert!(!harness.state().state.show_detail);
    harness.key_press(Key::Enter);
    harness.run();
    assert!(harness.state().state.show_detail);
    let homepage = harness.state().selected_entry().unwrap().homepage.clone();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::Enter);
    harness.run();
    assert_eq!(opened.borrow().as_slice(), [homepage]);
}

#[test]
fn copy_puts_exactly_the_formatter_output_on_the_clipboard() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    handle(&mut harness, Command::Select("adni".into()));
    for format in Format::ALL {
        handle(&mut harness, Command::SetFormat(format));
        // The button may be below the fold of the detail panel: click it through accessibility.
        harness.get_by_label("Copy").click_accesskit();
        harness.step();
        let expected = {
            let app = harness.state();
            app.citer.entry(app.catalogue.get("adni").unwrap(), format)
        };
        let output = harness.output().platform_output.commands.clone();
        assert!(
            output
                .iter()
                .any(|c| matches!(c, egui::OutputCommand::CopyText(t) if *t == expected)),
            "{format}: clipboard command missing"
        );
        assert_eq!(
            harness.state().last_copied.as_deref(),
            Some(expected.as_str())
        );
        assert_eq!(
            harness.state().status_text(),
            Some(format!("{} for ADNI copied", format.label()).as_str())
        );
        harness.run();
    }
}

#[test]
fn clicking_a_link_asks_the_opener_for_that_exact_url() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    handle(&mut harness, Command::Select("adni".into()));
    harness
        .get_all_by_label("https://adni.loni.usc.edu/")
        .next()
        .expect("homepage link")
        .click_accesskit();
    harness.run();
    assert_eq!(opened.borrow().as_slice(), ["https://adni.loni.usc.edu/"]);
}

#[test]
fn hostile_links_are_refused_never_opened() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    for url in [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html,x",
    ] {
        handle(&mut harness, Command::OpenUrl(url.into()));
        assert!(
            harness
                .state()
                .status_text()
                .is_some_and(|s| s.starts_with("Refused to open")),
            "{url}"
        );
    }
    assert!(opened.borrow().is_empty());
}

/// A storage in memory, standing in for eframe's file between two runs of the app.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

fn restart(storage: &'static MemoryStorage, opened: &Opened) -> Harness<'static, App> {
    let deps = deps(Vec::new(), opened);
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            cc.storage = Some(storage);
            App::new(cc, deps)
        });
    harness.run();
    harness
}

#[test]
fn state_is_restored_after_a_restart_and_bad_state_falls_back_to_defaults() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search")
        .type_text("mammography");
    harness.run();
    handle(
        &mut harness,
        Command::ToggleFacet(FacetKind::Tier, "1".into()),
    );
    handle(&mut harness, Command::Select("ddsm".into()));
    handle(&mut harness, Command::SetFormat(Format::Bibtex));
    let mut storage = MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    let saved = harness.state().state.clone();
    let storage: &'static MemoryStorage = Box::leak(Box::new(storage));

    let restored = restart(storage, &opened);
    assert_eq!(restored.state().state, saved);
    assert_eq!(restored.state().state.query, "mammography");
    assert_eq!(restored.state().state.selected.as_deref(), Some("ddsm"));
    assert!(
        restored
            .state()
            .rows
            .iter()
            .all(|id| { restored.state().catalogue.get(id).unwrap().tier == Some(1) })
    );

    let mut broken = MemoryStorage::default();
    broken
        .0
        .insert(STATE_KEY.into(), "(query: 12, this is not valid".into());
    let broken: &'static MemoryStorage = Box::leak(Box::new(broken));
    let fresh = restart(broken, &opened);
    let defaults = State::default();
    assert_eq!(fresh.state().state.query, defaults.query);
    assert_eq!(fresh.state().state.selection, defaults.selection);
    assert_eq!(
        fresh.state().state.citation_format,
        defaults.citation_format
    );
    assert_eq!(
        fresh.state().rows.len(),
        fresh.state().catalogue.entries.len()
    );
}

#[test]
fn a_broken_user_catalogue_file_shows_a_notice_and_the_app_still_works() {
    let opened = Opened::default();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed");
    let mut harness = harness_with(State::default(), vec![dir], &opened);
    harness.get_by_label_contains("problem(s) in catalogue files");
    harness.get_by_label_contains("Not_A_Slug.toml:2:6");
    assert_eq!(
        harness.state().rows.len(),
        harness.state().catalogue.entries.len()
    );
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("problem(s) in catalogue files")
            .is_none()
    );
}

#[test]
fn check_links_runs_in_the_background_and_shows_badges() {
    let server = http::serve(|_| http::Reply::empty(200));
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/user-catalogue/example-brain-mri.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("example-brain-mri.toml"),
        template.replace("https://example.org/", &server.url("/")),
    )
    .unwrap();
    let opened = Opened::default();
    let state = State {
        query: "EBMC".into(),
        mode: medatlas::search::Mode::Keyword,
        ..State::default()
    };
    let mut harness = harness_with(state, vec![dir.path().to_owned()], &opened);
    assert_eq!(harness.state().rows, ["example-brain-mri"]);
    // Progress repaints the window while the check runs, so frames are stepped, not run to rest.
    start(&mut harness, Command::CheckLinks);
    run_until(&mut harness, |app| app.link_check.is_none());
    let homepage = server.url("/ebmc/");
    let result = harness
        .state()
        .link_results
        .get(&homepage)
        .expect("homepage checked");
    assert_eq!(result.badge(), "ok (200)");
    assert!(
        harness
            .state()
            .status_text()
            .unwrap()
            .starts_with("Checked 2 links"),
        "{:?}",
        harness.state().status_text()
    );
    handle(&mut harness, Command::Select("example-brain-mri".into()));
    assert!(harness.get_all_by_label("ok (200)").next().is_some());
}

/// Runs frames until `done` holds (background work arrives on other threads); gives up after two
/// minutes, so that a hang fails instead of blocking the suite.
fn run_until(harness: &mut Harness<'static, App>, done: impl Fn(&App) -> bool) {
    let started = std::time::Instant::now();
    while !done(harness.state()) {
        assert!(started.elapsed().as_secs() < 120, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness.run();
}

#[test]
fn preferences_switch_to_a_remote_embedder_and_the_status_bar_names_it() {
    let server = http::serve(|r| http::word_hash_embeddings(r, 8));
    let opened = Opened::default();
    let mut harness = harness(&opened);
    assert!(harness.state().model().is_none());
    {
        let prefs = &mut harness.state_mut().state.embedder;
        prefs.remote = true;
        prefs.endpoint = server.base().to_owned();
        prefs.model = "test-model".to_owned();
        prefs.key_source = super::state::KeySource::None;
    }
    start(&mut harness, Command::TestEmbedder);
    run_until(&mut harness, |app| app.embedder_test_result.is_some());
    let test = harness.state().embedder_test_result.clone().unwrap();
    assert!(
        test.as_ref().is_ok_and(|m| m.contains("8 dimensions")),
        "{test:?}"
    );

    start(&mut harness, Command::ApplyEmbedder);
    run_until(&mut harness, |app| app.model().is_some());
    assert_eq!(harness.state().model(), Some("remote:test-model@127.0.0.1"));
    assert!(harness.state().semantic_ready());
    assert!(harness.state().embedder_note.is_none());
    assert!(
        harness
            .get_all_by_label_contains("Model: remote:test-model@127.0.0.1")
            .next()
            .is_some()
    );
    // The API key is not part of what the window saves.
    let saved = serde_json::to_string(&harness.state().state).unwrap();
    assert!(!saved.to_lowercase().contains("bearer"));
}

#[test]
fn a_remote_embedder_that_fails_falls_back_for_the_session_and_says_so() {
    // Refused at once (a 503 would be retried with waits first).
    let server = http::serve(|_| http::Reply::status(401));
    let opened = Opened::default();
    let mut harness = harness(&opened);
    {
        let prefs = &mut harness.state_mut().state.embedder;
        prefs.remote = true;
        prefs.endpoint = server.base().to_owned();
        prefs.model = "test-model".to_owned();
        prefs.dimension = "8".to_owned();
        prefs.key_source = super::state::KeySource::None;
    }
    start(&mut harness, Command::ApplyEmbedder);
    run_until(&mut harness, |app| app.model().is_some());
    assert_eq!(harness.state().model(), Some(medatlas::embed::MINILM_ID));
    let note = harness.state().embedder_note.clone().unwrap_or_default();
    assert!(note.contains("cannot be used"), "{note}");
    assert!(
        harness
            .get_all_by_label_contains("(fallback)")
            .next()
            .is_some()
    );
}

#[test]
fn the_detail_panel_lists_the_homepage_once() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    handle(&mut harness, Command::Select("tcia".to_owned()));
    let homepage = "https://www.cancerimagingarchive.net/";
    assert_eq!(harness.get_all_by_label(homepage).count(), 1);
}

#[test]
fn results_show_short_modality_labels_and_one_comparable_size() {
    let opened = Opened::default();
    let mut harness = harness(&opened);
    // Non-DICOM modalities show their short forms, never raw vocabulary keys.
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search")
        .type_text("Allen Brain Atlas");
    harness.run();
    assert_eq!(harness.state().rows[0], "allen-brain-atlas");
    assert!(
        harness
            .get_all_by_label("LM, FM, Genomics, MR")
            .next()
            .is_some()
    );
    assert!(
        harness
            .query_all_by_label_contains("light-microscopy")
            .next()
            .is_none()
    );
    {
        let state = &mut harness.state_mut().state;
        state.query.clear();
    }
    harness.run();
    // Sorting by size: subjects first, by value, entries without a figure last.
    handle(
        &mut harness,
        Command::SortBy(super::state::SortColumn::Size),
    );
    let app = harness.state();
    let headline = |id: &String| {
        app.catalogue
            .get(id)
            .and_then(|e| e.size.as_ref())
            .and_then(|s| s.headline())
    };
    let sizes: Vec<_> = app.rows.iter().map(headline).collect();
    let known = sizes.iter().take_while(|s| s.is_some()).count();
    assert!(sizes[known..].iter().all(Option::is_none), "{sizes:?}");
    let known: Vec<_> = sizes[..known]
        .iter()
        .flatten()
        .map(|(n, u)| (*u, *n))
        .collect();
    let mut sorted = known.clone();
    sorted.sort();
    assert_eq!(known, sorted);
}

#[test]
fn the_commercial_use_and_licence_family_facets_filter_the_results() {
    let mut harness = tall_harness();
    let allowed = harness
        .state()
        .catalogue
        .entries
        .iter()
        .filter(|e| {
            e.terms
                .as_ref()
                .is_some_and(|t| t.commercial_use == "allowed")
        })
        .count();
    harness
        .get_by_label(&format!("Allowed ({allowed})"))
        .click();
    harness.run();
    assert_eq!(harness.state().rows.len(), allowed);
    assert!(
        harness
            .state()
            .state
            .selection
            .contains(FacetKind::CommercialUse, "allowed")
    );
    // The licence family facet counts within that selection.
    let public_domain = harness
        .state()
        .rows
        .iter()
        .filter_map(|id| harness.state().catalogue.get(id))
        .filter(|e| e.licence.family.as_deref() == Some("public-domain"))
        .count();
    harness
        .get_by_label(&format!("Public domain ({public_domain})"))
        .click();
    harness.run();
    assert_eq!(harness.state().rows.len(), public_domain);
    // The detail panel says what a user may do, in plain words, at the top.
    let first = harness.state().rows[0].clone();
    handle(&mut harness, Command::Select(first));
    assert!(
        harness
            .get_all_by_label_contains("Commercial use allowed")
            .next()
            .is_some()
    );
}

#[test]
fn a_long_facet_shows_its_top_values_finds_the_others_and_shows_all() {
    let mut harness = tall_harness();
    let values = harness
        .state()
        .results
        .as_ref()
        .and_then(|r| r.facets.iter().find(|f| f.facet == FacetKind::BodyPart))
        .map(|f| f.values.clone())
        .expect("body part facet");
    assert!(values.len() > super::facets::TOP_VALUES, "a long facet");
    let mut by_count = values.clone();
    by_count.sort_by_key(|v| std::cmp::Reverse(v.count));
    let top = &by_count[0];
    // A value outside the top ones is not listed until it is looked for.
    // With results (a value without any is hidden anyway) and a label no other facet shows.
    let other_labels: Vec<String> = harness
        .state()
        .results
        .as_ref()
        .map(|r| {
            r.facets
                .iter()
                .filter(|f| f.facet != FacetKind::BodyPart)
                .flat_map(|f| f.values.iter().map(|v| v.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let rare = by_count[super::facets::TOP_VALUES..]
        .iter()
        .find(|v| {
            v.count > 0
                && v.count < by_count[super::facets::TOP_VALUES - 1].count
                && !other_labels.contains(&v.label)
        })
        .expect("a value outside the top");
    let rare_label = format!("{} ({})", rare.label, rare.count);
    harness.get_by_label(&format!("{} ({})", top.label, top.count));
    assert!(harness.query_by_label(&rare_label).is_none());
    harness.get_by_label("Find body part:").click();
    harness.run();
    harness
        .get_by_label("Find body part:")
        .type_text(&rare.label);
    harness.run();
    assert_eq!(
        harness.state().facet_lists[&FacetKind::BodyPart].filter,
        rare.label,
        "typed into the find field"
    );
    assert_eq!(harness.state().state.query, "", "the query is untouched");
    harness.get_by_label(&rare_label);
    assert!(
        harness
            .query_by_label(&format!("{} ({})", top.label, top.count))
            .is_none()
            || top.label.contains(&rare.label),
        "only matching values are listed while finding"
    );
    // Cleared, the top values come back; "Show all" lists every value.
    harness.get_by_label("Find body part:").click();
    harness.run();
    for _ in 0..rare.label.chars().count() {
        harness.key_press(egui::Key::Backspace);
    }
    harness.run();
    assert_eq!(
        harness.state().facet_lists[&FacetKind::BodyPart].filter,
        "",
        "the find field is cleared"
    );
    assert!(
        harness.query_by_label(&rare_label).is_none(),
        "{rare_label} still shown"
    );
    harness
        .get_by_label(&format!("Show all {}", values.len()))
        .click();
    harness.run();
    harness.get_by_label(&rare_label);
    harness.get_by_label("Show fewer");
}

/// A window whose shortlists live in `file` and whose store is `store`.
fn shortlist_harness(file: &std::path::Path, store: Location) -> Harness<'static, App> {
    let opened = Opened::default();
    let mut deps = deps(Vec::new(), &opened);
    deps.shortlists = Some(medatlas::shortlist::ShortlistFile::new(file));
    deps.store = store;
    let mut harness = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    harness
}

fn shortlisted(harness: &Harness<'static, App>) -> Vec<String> {
    let app = harness.state();
    app.active_shortlist_name()
        .and_then(|n| app.shortlists.get(&n))
        .map(|l| l.ids().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn the_row_toggle_and_ctrl_d_add_to_the_shortlist_and_remove_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shortlists.toml");
    let mut harness = shortlist_harness(&file, Location::Memory);
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search")
        .type_text("ADNI");
    harness.run();
    harness.get_by_label("Shortlist ADNI").click();
    harness.run();
    assert_eq!(shortlisted(&harness), ["adni"]);
    assert_eq!(
        harness.state().active_shortlist_name().as_deref(),
        Some("My shortlist")
    );
    // The selected dataset, with the keyboard.
    handle(&mut harness, Command::Select("oasis".into()));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::D);
    harness.run();
    assert_eq!(shortlisted(&harness), ["adni", "oasis"]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::D);
    harness.run();
    assert_eq!(shortlisted(&harness), ["adni"]);
    // Every change is on file at once.
    let on_file = medatlas::shortlist::ShortlistFile::new(&file)
        .load()
        .unwrap();
    assert_eq!(on_file.get("My shortlist").unwrap().ids(), ["adni"]);
}

#[test]
fn a_shortlist_survives_a_restart_and_a_deleted_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/shortlists.toml");
    let store = dir.path().join("cache/store.sqlite3");
    {
        let mut harness = shortlist_harness(&file, Location::File(store.clone()));
        for id in ["tcia", "idc"] {
            handle(&mut harness, Command::ToggleShortlisted(id.into()));
        }
        handle(
            &mut harness,
            Command::SetShortlistNote("tcia".into(), "2024 release".into()),
        );
        assert_eq!(shortlisted(&harness), ["tcia", "idc"]);
    }
    assert!(store.exists());
    std::fs::remove_file(&store).unwrap();
    let harness = shortlist_harness(&file, Location::File(store.clone()));
    assert_eq!(shortlisted(&harness), ["tcia", "idc"]);
    let app = harness.state();
    let list = app.shortlists.get("My shortlist").unwrap();
    assert_eq!(list.items[0].note.as_deref(), Some("2024 release"));
}

#[test]
fn compare_from_the_shortlist_window_highlights_the_rows_that_differ() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = shortlist_harness(&dir.path().join("s.toml"), Location::Memory);
    for id in ["adni", "oasis"] {
        handle(&mut harness, Command::ToggleShortlisted(id.into()));
    }
    harness.state_mut().show_shortlists = true;
    harness.run();
    harness.get_by_label("Compare 2").click();
    harness.run();
    let comparison = harness
        .state()
        .comparison
        .clone()
        .expect("a comparison is shown");
    assert_eq!(comparison.ids, ["adni", "oasis"]);
    let differs = comparison
        .rows
        .iter()
        .find(|r| r.differs)
        .expect("a row differs");
    let same = comparison
        .rows
        .iter()
        .find(|r| !r.differs)
        .expect("a row is the same");
    harness.get_by_label(&format!("{} (differs)", differs.label));
    assert!(harness.query_all_by_label(same.label).next().is_some());
    assert!(
        harness
            .query_by_label(&format!("{} (differs)", same.label))
            .is_none()
    );
    // Copy as Markdown: the differing row is in bold there too.
    harness.get_by_label("Copy Markdown").click();
    harness.run();
    let copied = harness.state().last_copied.clone().unwrap_or_default();
    assert!(
        copied.contains(&format!("| **{}** |", differs.label)),
        "{copied}"
    );
}

#[test]
fn clicking_a_bar_of_the_overview_filters_the_results() {
    let mut harness = tall_harness();
    harness.get_by_label("Overview").click();
    harness.run();
    let ct = harness
        .state()
        .catalogue
        .entries
        .iter()
        .filter(|e| e.modalities.iter().any(|m| m == "CT"))
        .count();
    harness
        .get_by_label(&format!("Modality: Computed tomography ({ct})"))
        .click();
    harness.run();
    assert!(
        harness
            .state()
            .state
            .selection
            .contains(FacetKind::Modality, "CT")
    );
    assert_eq!(harness.state().rows.len(), ct);
}

#[test]
fn the_write_up_kit_copies_each_part_and_the_whole_kit() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = shortlist_harness(&dir.path().join("s.toml"), Location::Memory);
    for id in ["adni", "tcia"] {
        handle(&mut harness, Command::ToggleShortlisted(id.into()));
    }
    harness.state_mut().show_shortlists = true;
    harness.run();
    harness.get_by_label("Write-up kit").click();
    harness.run();
    let kit = harness.state().writeup.clone().expect("the kit is open").1;
    assert_eq!(kit.ids, ["adni", "tcia"]);
    harness.get_by_label("Copy acknowledgements").click();
    harness.run();
    let copied = harness.state().last_copied.clone().unwrap_or_default();
    assert!(
        copied.contains("for the Alzheimer's Disease Neuroimaging Initiative"),
        "{copied}"
    );
    assert!(copied.contains("Author line"), "{copied}");
    // Fold the long parts so that the next one is in view.
    for part in ["References", "Acknowledgements"] {
        harness.get_by_label(part).click();
        harness.run();
    }
    harness
        .get_by_label("Copy data availability statement")
        .click();
    harness.run();
    let copied = harness.state().last_copied.clone().unwrap_or_default();
    assert!(copied.contains("Restrictions apply"), "{copied}");
    assert!(copied.contains("[adni2010]"), "{copied}");
    harness.get_by_label("Copy all as Markdown").click();
    harness.run();
    let copied = harness.state().last_copied.clone().unwrap_or_default();
    assert_eq!(copied, kit.to_markdown());
    assert!(copied.starts_with("# Write-up kit\n"));
}

/// A stand-in Zotero for the window: it answers the connector endpoints the window uses, with
/// the shapes of server_connector.js (the integration tests check every answer in detail).
fn zotero_stand_in() -> http::Server {
    http::serve(|r| {
        let json = |status: u16, body: serde_json::Value| {
            http::Reply::json(status, body).header("X-Zotero-Version", "7.0.11")
        };
        match r.path.as_str() {
            "/connector/ping" => http::Reply::Send {
                status: 200,
                headers: vec![("X-Zotero-Version".into(), "7.0.11".into())],
                body: b"<!DOCTYPE html><html><body>Zotero is running</body></html>".to_vec(),
            },
            "/connector/getSelectedCollection" => json(
                200,
                serde_json::json!({
                    "libraryID": 1, "libraryName": "My Library", "libraryEditable": true,
                    "id": null, "name": "My Library",
                    "targets": [
                        {"id": "L1", "name": "My Library", "filesEditable": true, "level": 0},
                        {"id": "C13", "name": "Brain study", "filesEditable": true, "level": 1}
                    ]
                }),
            ),
            "/connector/saveItems" => http::Reply::empty(201),
            "/connector/updateSession" => json(200, serde_json::json!({})),
            _ => http::Reply::status(404),
        }
    })
}

fn zotero_harness(url: &str, sent: &std::path::Path) -> Harness<'static, App> {
    let opened = Opened::default();
    let mut deps = deps(Vec::new(), &opened);
    deps.zotero_url = url.to_owned();
    deps.zotero_sent = Some(medatlas::zotero::SentFile::new(sent));
    let mut harness = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    harness
}

#[test]
fn send_to_zotero_saves_into_the_chosen_collection_and_asks_before_sending_again() {
    let server = zotero_stand_in();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = zotero_harness(server.base(), &dir.path().join("zotero-sent.json"));
    handle(&mut harness, Command::Select("adni".into()));
    harness.get_by_label("Send to Zotero").click();
    run_until(&mut harness, |app| {
        app.zotero.stage_name() == Some("choose")
    });
    // Choose the collection, then send the two ADNI citations.
    harness.get_by_label("Save into:").click();
    harness.run();
    harness.get_by_label("Brain study").click();
    harness.run();
    harness.get_by_label("Send 2").click();
    run_until(&mut harness, |app| {
        matches!(app.zotero.stage_name(), Some("sent") | Some("failed"))
    });
    assert_eq!(harness.state().zotero.stage_name(), Some("sent"));
    let saves: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/connector/saveItems")
        .collect();
    assert_eq!(saves.len(), 1);
    assert_eq!(saves[0].json()["items"].as_array().unwrap().len(), 2);
    assert_eq!(saves[0].header("X-Zotero-Connector-API-Version"), Some("3"));
    let update = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/connector/updateSession")
        .expect("updateSession")
        .json();
    assert_eq!(update["target"], "C13");
    assert_eq!(update["tags"], serde_json::json!(["medatlas"]));

    // The same dataset again: the window says it was sent and sends it only when asked.
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Send to Zotero")
        .click();
    run_until(&mut harness, |app| {
        app.zotero.stage_name() == Some("choose")
    });
    harness.get_by_label("Save into:").click();
    harness.run();
    harness.get_by_label("Brain study").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("were sent to this collection before")
            .is_some()
    );
    assert!(harness.query_by_label("Send 0").is_some());
    harness.get_by_label("Send them again").click();
    harness.run();
    harness.get_by_label("Send 2").click();
    run_until(&mut harness, |app| app.zotero.stage_name() == Some("sent"));
}

#[test]
fn send_to_zotero_without_zotero_says_so_and_offers_the_ris_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = zotero_harness(&http::closed_port_base(), &dir.path().join("sent.json"));
    handle(&mut harness, Command::Select("tcia".into()));
    harness.get_by_label("Send to Zotero").click();
    run_until(&mut harness, |app| {
        app.zotero.stage_name() == Some("unreachable")
    });
    assert!(
        harness
            .query_by_label_contains("Zotero is not running")
            .is_some()
    );
    harness.get_by_label("Copy as RIS").click();
    harness.run();
    let copied = harness.state().last_copied.clone().unwrap_or_default();
    assert!(copied.starts_with("TY  - "), "{copied}");
}

/// A window whose Add dataset fetches from `server` (Crossref answers; doi.org is down) and saves
/// into `dir`.
fn add_harness(server: Option<&http::Server>, dir: &std::path::Path) -> Harness<'static, App> {
    let opened = Opened::default();
    let mut deps = deps(Vec::new(), &opened);
    if let Some(server) = server {
        deps.doi_options = medatlas::doi::FetchOptions {
            doi_base: server.url("/doi"),
            crossref_base: server.url("/crossref"),
            datacite_base: server.url("/datacite"),
            min_interval: std::time::Duration::ZERO,
            ..Default::default()
        };
    }
    deps.user_dir = Some(dir.join("catalogue"));
    deps.queries_file = Some(dir.join("queries.tsv"));
    let mut harness = Harness::builder()
        .with_size([1280.0, 1200.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    harness
}

fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run();
    harness.get_by_label(label).type_text(text);
    harness.run();
}

#[test]
fn a_dataset_added_from_its_doi_is_saved_indexed_selected_and_ranked() {
    const DOI: &str = "10.1021/acs.orglett.9b00971";
    let server = http::serve(|req| {
        if req.path == format!("/crossref/works/{DOI}") {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/doi/crossref-journal-article.json");
            return http::Reply::json(200, std::fs::read_to_string(path).unwrap());
        }
        if req.path.starts_with("/doi/") {
            return http::Reply::status(503);
        }
        http::Reply::status(404)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut harness = add_harness(Some(&server), dir.path());
    handle(&mut harness, Command::OpenAdd);
    type_into(&mut harness, "DOI:", DOI);
    harness.get_by_label("Fetch").click();
    run_until(&mut harness, |app| {
        app.add
            .as_ref()
            .is_some_and(|d| d.record.is_some() || d.error.is_some())
    });
    assert!(harness.state().add.as_ref().unwrap().error.is_none());
    type_into(&mut harness, "Dataset name:", "Example Synthesis Set");
    // The id follows the name only when asked: set it too.
    type_into(&mut harness, "Id:", "example-synthesis-set");
    type_into(&mut harness, "Query 1:", "Example Synthesis Set");
    // A value the record did not suggest, picked from the vocabulary.
    harness.state_mut().add.as_mut().unwrap().chosen[2] = vec!["human".into()];
    harness.run();
    harness.get_by_label("Human ×");
    harness.get_by_label("Save draft").click();
    // Saving reopens the engine over the new catalogue: a few more frames than usual.
    harness.run_steps(10);
    let app = harness.state();
    let dialog = app.add.as_ref().unwrap();
    assert!(dialog.problems.is_empty(), "{:?}", dialog.problems);
    assert_eq!(dialog.error, None);
    let (id, ranks) = dialog.saved.clone().expect("saved");
    assert_eq!(id, "example-synthesis-set");
    assert_eq!(ranks, vec![("Example Synthesis Set".to_owned(), Some(1))]);
    assert!(
        dir.path()
            .join("catalogue/example-synthesis-set.toml")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("queries.tsv")).unwrap(),
        "Example Synthesis Set\texample-synthesis-set:2\n"
    );
    let entry = app.catalogue.get("example-synthesis-set").expect("indexed");
    assert!(entry.draft && entry.origin.is_user());
    assert_eq!(entry.species, ["human"]);
    assert_eq!(app.state.selected.as_deref(), Some("example-synthesis-set"));
}

#[test]
fn a_pasted_bibtex_entry_becomes_a_draft_and_problems_show_next_to_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = add_harness(None, dir.path());
    handle(&mut harness, Command::OpenAdd);
    harness.get_by_label("From BibTeX").click();
    harness.run();
    let bib = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/doi/physionet-mc-med.bib"),
    )
    .unwrap();
    type_into(&mut harness, "One BibTeX entry:", &bib);
    harness.get_by_label("Read").click();
    run_until(&mut harness, |app| {
        app.add
            .as_ref()
            .is_some_and(|d| d.record.is_some() || d.error.is_some())
    });
    assert!(harness.state().add.as_ref().unwrap().record.is_some());
    // An id that is not a slug is refused, next to the id field; fixed, the draft saves.
    type_into(&mut harness, "Dataset name:", "MC-MED");
    type_into(&mut harness, "Id:", "MC MED!");
    harness.get_by_label("Save draft").click();
    harness.run();
    assert!(!harness.state().add.as_ref().unwrap().problems.is_empty());
    assert!(!dir.path().join("catalogue").exists(), "nothing written");
    harness.state_mut().add.as_mut().unwrap().id = "mc-med".into();
    harness.run();
    harness.get_by_label("Save draft").click();
    harness.run_steps(10);
    assert!(dir.path().join("catalogue/mc-med.toml").exists());
    assert!(harness.state().catalogue.get("mc-med").is_some());
}

#[test]
fn the_contact_address_is_checked_saved_and_used_for_the_next_requests() {
    let dir = tempfile::tempdir().unwrap();
    let opened = Opened::default();
    let mut deps = deps(Vec::new(), &opened);
    let file = dir.path().join("config.toml");
    deps.config_file = Some(medatlas::config::ConfigFile::new(&file));
    let mut harness = Harness::builder()
        .with_size([1280.0, 1600.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    harness.state_mut().show_preferences = true;
    harness.run();
    type_into(&mut harness, "Contact e-mail:", "not an address");
    harness.get_by_label("Save address").click();
    harness.run();
    assert!(
        harness
            .state()
            .status_text()
            .unwrap_or("")
            .contains("not an e-mail address")
    );
    assert!(!file.exists());
    harness.state_mut().contact_edit = "researcher@example.org".into();
    harness.run();
    harness.get_by_label("Save address").click();
    harness.run();
    assert_eq!(
        harness.state().doi_options.contact.as_deref(),
        Some("researcher@example.org")
    );
    let saved = medatlas::config::ConfigFile::new(&file).load().unwrap();
    assert_eq!(
        saved.contact_email.as_deref(),
        Some("researcher@example.org")
    );
}

#[test]
fn editing_a_user_entry_keeps_its_comments_and_a_bundled_one_is_copied_first() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("catalogue");
    std::fs::create_dir_all(&folder).unwrap();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/user-catalogue/example-brain-mri.toml");
    let original = std::fs::read_to_string(&fixture).unwrap();
    let file = folder.join("example-brain-mri.toml");
    std::fs::write(&file, &original).unwrap();
    let opened = Opened::default();
    let mut deps = deps(vec![folder.clone()], &opened);
    deps.user_dir = Some(folder.clone());
    let mut harness = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_eframe(move |cc| App::with_state(&cc.egui_ctx, deps, State::default()));
    harness.run();
    handle(&mut harness, Command::Select("example-brain-mri".into()));
    harness.get_by_label("Edit").click();
    harness.run();
    harness.state_mut().edit.as_mut().unwrap().summary = "An edited summary.".into();
    harness.run();
    harness.get_by_label("Save changes").click();
    harness.run_steps(10);
    let text = std::fs::read_to_string(&file).unwrap();
    // The first line (a comment) and the field order are kept; only the summary changed.
    assert_eq!(text.lines().next(), original.lines().next());
    assert!(text.contains("summary = \"An edited summary.\""), "{text}");
    let changed: Vec<(&str, &str)> = original
        .lines()
        .zip(text.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        harness
            .state()
            .catalogue
            .get("example-brain-mri")
            .unwrap()
            .summary,
        "An edited summary."
    );

    // A bundled entry: copied as shipped into the folder, then edited there.
    handle(&mut harness, Command::Select("adni".into()));
    harness
        .get_by_label("Copy to my catalogue and edit")
        .click();
    harness.run_steps(10);
    let copy = std::fs::read_to_string(folder.join("adni.toml")).unwrap();
    assert_eq!(
        copy,
        medatlas::catalogue::bundled_entry_text("adni").unwrap()
    );
    assert!(
        harness
            .state()
            .catalogue
            .get("adni")
            .unwrap()
            .origin
            .is_user()
    );
    assert!(harness.state().edit.is_some());
}
