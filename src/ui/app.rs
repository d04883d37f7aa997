//! The app: state, background work (search sessions, query vectors, link checks) and command
//! handling.
//! Drawing lives in the panel modules; this file decides what happens.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;
use medatlas::catalogue::facets::FacetKind;
use medatlas::catalogue::{Catalogue, Entry};
use medatlas::cite::Citer;
use medatlas::embed::Embedder;
use medatlas::embed::remote::RemoteEmbedder;
use medatlas::engine::{self, Built, EmbedderChoice};
use medatlas::links::{self, CheckOptions, CheckReport, LinkResult};
use medatlas::search::{Plan, Query, SearchEngine, SearchResults};
use medatlas::store::Location;
use poll_promise::Promise;

use medatlas::compare::Comparison;
use medatlas::shortlist::{ShortlistFile, Shortlists};
use medatlas::writeup::{Item as WriteupItem, Kit};

use super::add::AddDialog;
use super::edit::{EditDialog, FACETS};
use super::facets::FacetList;
use super::state::{Command, SortColumn, State, Theme};
use super::zotero::{Request as ZoteroRequest, ZoteroPanel};

pub const STATE_KEY: &str = "medatlas-state";

/// Opens a URL in the user's browser; injected so tests can see what would be opened.
pub type Opener = Box<dyn FnMut(&str) -> Result<(), String>>;

/// What the app is built from; `Deps::system` for the real program.
pub struct Deps {
    pub catalogue: Catalogue,
    pub store: Location,
    /// Load the embedded model in the background (off in UI tests, which test keyword search).
    pub load_model: bool,
    pub opener: Opener,
    /// The user's shortlists file (`None`: shortlists are kept for this session only).
    pub shortlists: Option<ShortlistFile>,
    /// Where Zotero's connector server listens, and the record of what was sent to it.
    pub zotero_url: String,
    pub zotero_sent: Option<medatlas::zotero::SentFile>,
    /// Metadata services for adding a dataset from its DOI, where its file goes, and the user's
    /// judged queries.
    pub doi_options: medatlas::doi::FetchOptions,
    pub user_dir: Option<std::path::PathBuf>,
    pub queries_file: Option<std::path::PathBuf>,
    /// The user's settings file (`medatlas config`).
    pub config_file: Option<medatlas::config::ConfigFile>,
}

impl Deps {
    pub fn system(catalogue: Catalogue, store: Location) -> Deps {
        Deps {
            catalogue,
            store,
            load_model: true,
            opener: Box::new(|url| open::that_detached(url).map_err(|e| e.to_string())),
            shortlists: ShortlistFile::default_location(),
            zotero_url: std::env::var("MEDATLAS_ZOTERO_URL")
                .unwrap_or_else(|_| medatlas::zotero::DEFAULT_BASE_URL.to_owned()),
            zotero_sent: medatlas::zotero::SentFile::default_location(),
            doi_options: medatlas::doi::FetchOptions::for_user(),
            user_dir: medatlas::catalogue::default_user_dir(),
            queries_file: medatlas::user_queries_file(),
            config_file: medatlas::config::ConfigFile::default_location(),
        }
    }
}

/// (query text, mode, filters as JSON).
type PlanKey = (String, medatlas::search::Mode, String);

/// A link check running in the background.
pub struct LinkCheck {
    promise: Promise<Result<CheckReport, String>>,
    pub done: Arc<AtomicUsize>,
    pub total: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
}

/// A search session being prepared in the background: the chosen embedder loaded (a remote service
/// probed, once), the vectors the store lacks computed, the engine built. Until it arrives, the
/// engine of the previous session (or the keyword-only one opened at start) answers.
struct Session {
    promise: Promise<Result<Built, String>>,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
}

pub struct App {
    pub state: State,
    pub catalogue: Arc<Catalogue>,
    pub citer: Citer,
    engine: Option<SearchEngine>,
    pub engine_error: Option<String>,
    session: Option<Session>,
    /// Where the store lives (each session opens it for its model).
    location: Location,
    /// Why the embedder in use is not the one chosen (a remote service that failed at the start of
    /// the session), shown in the status bar for the whole session.
    pub embedder_note: Option<String>,
    /// A Preferences "Test" of the remote embedder under way, and the last outcome.
    embedder_test: Option<Promise<Result<String, String>>>,
    pub embedder_test_result: Option<Result<String, String>>,
    query_vector: Option<(String, Promise<Option<Vec<f32>>>)>,
    vectors: Vec<(String, Vec<f32>)>,
    pub results: Option<SearchResults>,
    /// The current query, parsed, with its (text, mode, filters) key.
    plan: Option<(PlanKey, Plan)>,
    /// What the results shown were computed for: the plan's key, and whether a vector was used.
    results_key: Option<(PlanKey, bool)>,
    /// Ids in the order shown (after sorting).
    pub rows: Vec<String>,
    pub last_copied: Option<String>,
    pub status: Option<(String, Instant)>,
    pub notice_dismissed: bool,
    opener: Opener,
    pub focus_search: bool,
    pub show_preferences: bool,
    pub show_info: bool,
    pub show_about: bool,
    pub scroll_to_selected: bool,
    /// Last known health of each link, by URL (from the store, refreshed by "Check links").
    pub link_results: HashMap<String, LinkResult>,
    pub link_check: Option<LinkCheck>,
    /// Each long facet's find text and "Show all" state (for this session).
    pub facet_lists: HashMap<FacetKind, FacetList>,
    /// The user's shortlists, their file, and why that file could not be read (then it is never
    /// written over: changes stay in this session and the status bar says so).
    pub shortlists: Shortlists,
    pub shortlist_file: Option<ShortlistFile>,
    pub shortlist_problem: Option<String>,
    pub show_shortlists: bool,
    pub show_overview: bool,
    /// The shortlist window's name field, and the datasets ticked for comparison.
    pub shortlist_name_edit: String,
    pub compare_picks: std::collections::BTreeSet<String>,
    /// The comparison shown, if any.
    pub comparison: Option<Comparison>,
    /// The write-up kit shown: its datasets, and the kit in the citation format it was built for.
    pub writeup: Option<(Vec<WriteupItem>, Kit)>,
    pub zotero: ZoteroPanel,
    pub add: Option<AddDialog>,
    pub edit: Option<EditDialog>,
    pub doi_options: medatlas::doi::FetchOptions,
    user_dir: Option<std::path::PathBuf>,
    queries_file: Option<std::path::PathBuf>,
    load_model: bool,
    config_file: Option<medatlas::config::ConfigFile>,
    /// The Preferences field for the contact address.
    pub contact_edit: String,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, deps: Deps) -> App {
        let state = cc
            .storage
            .and_then(|storage| {
                let saved = storage.get_string(STATE_KEY)?;
                match eframe::get_value::<State>(storage, STATE_KEY) {
                    Some(state) => Some(state),
                    None => {
                        tracing::warn!(
                            "saved window state could not be read ({} bytes); starting from defaults",
                            saved.len()
                        );
                        None
                    }
                }
            })
            .unwrap_or_default();
        Self::with_state(&cc.egui_ctx, deps, state)
    }

    pub fn with_state(ctx: &egui::Context, deps: Deps, state: State) -> App {
        let catalogue = Arc::new(deps.catalogue);
        let citer = Citer::new(&catalogue);
        let (engine, engine_error, warnings) = match engine::open(&catalogue, &deps.store) {
            Ok(built) => (Some(built.engine), None, built.warnings),
            Err(e) => (None, Some(e.to_string()), Vec::new()),
        };
        let mut app = App {
            state,
            catalogue,
            citer,
            engine,
            engine_error,
            session: None,
            location: deps.store.clone(),
            embedder_note: None,
            embedder_test: None,
            embedder_test_result: None,
            query_vector: None,
            vectors: Vec::new(),
            results: None,
            plan: None,
            results_key: None,
            rows: Vec::new(),
            last_copied: None,
            status: None,
            notice_dismissed: false,
            opener: deps.opener,
            focus_search: true,
            show_preferences: false,
            show_info: false,
            show_about: false,
            scroll_to_selected: true,
            link_results: HashMap::new(),
            link_check: None,
            facet_lists: HashMap::new(),
            shortlists: Shortlists::default(),
            shortlist_file: deps.shortlists,
            shortlist_problem: None,
            show_shortlists: false,
            show_overview: false,
            shortlist_name_edit: String::new(),
            compare_picks: Default::default(),
            comparison: None,
            writeup: None,
            zotero: ZoteroPanel::new(deps.zotero_url, deps.zotero_sent),
            add: None,
            edit: None,
            contact_edit: deps.doi_options.contact.clone().unwrap_or_default(),
            doi_options: deps.doi_options,
            user_dir: deps.user_dir,
            queries_file: deps.queries_file,
            load_model: deps.load_model,
            config_file: deps.config_file,
        };
        app.load_shortlists();
        if let Some(engine) = &app.engine {
            match links::load_results(engine.store()) {
                Ok(results) => app.link_results = results,
                Err(e) => tracing::warn!("could not read earlier link checks: {e}"),
            }
        }
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        if let Some(first) = warnings.first() {
            app.set_status(first.clone());
        }
        if deps.load_model {
            app.start_session(ctx);
        }
        app.apply_theme(ctx);
        app
    }

    /// Starts a search session with the embedder set in Preferences, off the UI thread: keyword
    /// search works meanwhile, and the new engine replaces the current one when it is ready.
    fn start_session(&mut self, ctx: &egui::Context) {
        let choice = match self.state.embedder.choice() {
            Ok(choice) => choice,
            Err(why) => {
                let note = format!("Remote embedder settings: {why}; using the embedded model");
                self.set_status(note.clone());
                self.embedder_note = Some(note);
                EmbedderChoice::MiniLm
            }
        };
        let (done, total) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (d, t, ctx) = (done.clone(), total.clone(), ctx.clone());
        let (catalogue, location) = (self.catalogue.clone(), self.location.clone());
        let promise = Promise::spawn_thread("medatlas-session", move || {
            let built = engine::build(&catalogue, &location, &choice, |n, of| {
                d.store(n, Ordering::Relaxed);
                t.store(of, Ordering::Relaxed);
                ctx.request_repaint();
            })
            .map_err(|e| e.to_string());
            ctx.request_repaint();
            built
        });
        self.session = Some(Session {
            promise,
            done,
            total,
        });
    }

    /// Installs a session's engine: query vectors of the previous model are dropped, never mixed.
    fn finish_session(&mut self, built: Built) {
        self.engine = Some(built.engine);
        self.engine_error = None;
        self.vectors.clear();
        self.query_vector = None;
        self.plan = None;
        self.results_key = None;
        for warning in built.warnings.iter().chain(&built.fallback) {
            tracing::warn!("{warning}");
        }
        if let Some(first) = built.fallback.iter().chain(&built.warnings).next() {
            self.set_status(first.clone());
        }
        self.embedder_note = built.fallback;
    }

    /// Embeds one sentence with the remote embedder of Preferences, in the background.
    fn start_embedder_test(&mut self, ctx: &egui::Context) {
        let config = match self.state.embedder.choice() {
            Ok(EmbedderChoice::Remote(config)) => config,
            Ok(_) => {
                self.embedder_test_result = Some(Err("choose the remote embedder first".into()));
                return;
            }
            Err(why) => {
                self.embedder_test_result = Some(Err(why));
                return;
            }
        };
        let ctx = ctx.clone();
        self.embedder_test_result = None;
        self.embedder_test = Some(Promise::spawn_thread("medatlas-embedder-test", move || {
            let started = Instant::now();
            let outcome = RemoteEmbedder::new(config)
                .and_then(|e| {
                    e.probe()?;
                    Ok(e)
                })
                .map(|e| {
                    format!(
                        "{} answered with {} dimensions in {} ms",
                        e.endpoint(),
                        e.dimension(),
                        started.elapsed().as_millis()
                    )
                })
                .map_err(|e| e.to_string());
            ctx.request_repaint();
            outcome
        }));
    }

    /// (done, total) while a session's vectors are being computed.
    pub fn indexing_progress(&self) -> Option<(usize, usize)> {
        self.session.as_ref().map(|s| {
            (
                s.done.load(Ordering::Relaxed),
                s.total.load(Ordering::Relaxed),
            )
        })
    }

    /// The embedding model of the engine in use, if it has one.
    pub fn model(&self) -> Option<&str> {
        self.engine
            .as_ref()
            .and_then(|e| e.embedder())
            .map(|e| e.id())
    }

    pub fn semantic_ready(&self) -> bool {
        self.engine
            .as_ref()
            .is_some_and(SearchEngine::semantic_ready)
    }

    /// Collects finished background work.
    pub fn poll_background(&mut self) {
        if let Some(session) = self.session.take() {
            match session.promise.try_take() {
                Ok(Ok(built)) => self.finish_session(built),
                Ok(Err(e)) => {
                    tracing::warn!("semantic search unavailable: {e}");
                    self.set_status(format!("Semantic search unavailable: {e}"));
                }
                Err(promise) => self.session = Some(Session { promise, ..session }),
            }
        }
        if let Some(test) = self.embedder_test.take() {
            match test.try_take() {
                Ok(outcome) => self.embedder_test_result = Some(outcome),
                Err(test) => self.embedder_test = Some(test),
            }
        }
        if let Some(check) = self.link_check.take() {
            match check.promise.try_take() {
                Ok(Ok(report)) => self.finish_link_check(report),
                Ok(Err(e)) => self.set_status(format!("Link check failed: {e}")),
                Err(promise) => self.link_check = Some(LinkCheck { promise, ..check }),
            }
        }
        if let Some((text, promise)) = self.query_vector.take() {
            match promise.try_take() {
                Ok(Some(vector)) => {
                    self.vectors.push((text, vector));
                    if self.vectors.len() > 64 {
                        self.vectors.remove(0);
                    }
                    self.results_key = None;
                }
                Ok(None) => {}
                Err(promise) => self.query_vector = Some((text, promise)),
            }
        }
    }

    /// Re-runs the search when the query, mode or filters changed. Keyword results show at once;
    /// the query vector is computed in the background and the hybrid ranking replaces them.
    pub fn refresh_results(&mut self, ctx: &egui::Context) {
        let Some(engine) = &self.engine else { return };
        let selection_key = serde_json::to_string(&self.state.selection).unwrap_or_default();
        let plan_key = (self.state.query.clone(), self.state.mode, selection_key);
        // The query is parsed once per change, not on every frame.
        if self.plan.as_ref().is_none_or(|(k, _)| *k != plan_key) {
            let query = Query {
                text: self.state.query.clone(),
                mode: self.state.mode,
                selection: self.state.selection.clone(),
                limit: None,
                prefix_last: true,
            };
            self.plan = Some((plan_key.clone(), engine.plan(&query)));
        }
        let Some((_, plan)) = &self.plan else { return };
        let vector_text = plan.semantic_text();
        let vector = self
            .vectors
            .iter()
            .find(|(t, _)| t == vector_text)
            .map(|(_, v)| v.clone());
        let key = (plan_key, vector.is_some());
        if self.results_key.as_ref() == Some(&key) {
            return;
        }
        if engine.wants_vector(plan)
            && vector.is_none()
            && self
                .query_vector
                .as_ref()
                .is_none_or(|(t, _)| t != vector_text)
            && let Some(embedder) = engine.embedder().cloned()
        {
            let text = vector_text.to_owned();
            let ctx = ctx.clone();
            let promise = Promise::spawn_thread("medatlas-query", move || {
                let v = embedder.embed(&text).ok();
                ctx.request_repaint();
                v
            });
            self.query_vector = Some((vector_text.to_owned(), promise));
        }
        match engine.search_plan(plan, vector.as_deref()) {
            Ok(results) => self.results = Some(results),
            Err(e) => self.set_status(format!("Search failed: {e}")),
        }
        self.results_key = Some(key);
        self.sort_rows();
    }

    fn sort_rows(&mut self) {
        let Some(results) = &self.results else {
            self.rows.clear();
            return;
        };
        let mut rows: Vec<String> = results.results.iter().map(|h| h.id.clone()).collect();
        if let Some((column, ascending)) = self.state.sort {
            let c = &self.catalogue;
            if column == SortColumn::Size {
                rows.sort_by(|a, b| size_order(c.get(a), c.get(b), ascending));
            } else {
                let key = |id: &String| -> (u64, String) {
                    let Some(e) = c.get(id) else {
                        return (0, String::new());
                    };
                    match column {
                        SortColumn::Name => (0, e.name.to_lowercase()),
                        SortColumn::Modalities => (0, e.modalities.join(",")),
                        SortColumn::BodyParts => (0, e.body_parts.join(",")),
                        SortColumn::Access => (access_rank(&e.access.level), String::new()),
                        SortColumn::Tier => (u64::from(e.tier.unwrap_or(9)), e.name.clone()),
                        SortColumn::Size => (0, String::new()),
                    }
                };
                rows.sort_by_key(key);
                if !ascending {
                    rows.reverse();
                }
            }
        }
        self.rows = rows;
        if self
            .state
            .selected
            .as_ref()
            .is_none_or(|s| !self.rows.contains(s))
        {
            self.state.selected = self.rows.first().cloned();
        }
    }

    /// Checks and saves the contact address in the settings file (`medatlas config`), and uses it
    /// for the next requests to metadata services.
    fn save_contact(&mut self, address: &str) {
        let Some(file) = &self.config_file else {
            return self.set_status("This platform has no configuration folder");
        };
        let result = file
            .load()
            .map_err(|e| e.to_string())
            .and_then(|mut config| {
                if address.trim().is_empty() {
                    config.unset("contact-email").map_err(|e| e.to_string())?;
                } else {
                    config
                        .set("contact-email", address)
                        .map_err(|e| e.to_string())?;
                }
                file.save(&config).map_err(|e| e.to_string())?;
                Ok(config.contact_email)
            });
        match result {
            Ok(contact) => {
                self.doi_options.contact = contact;
                self.set_status("Contact address saved");
            }
            Err(e) => self.set_status(format!("Contact address not saved: {e}")),
        }
    }

    /// Saves the Add dataset window's draft: validated first (problems go next to their fields),
    /// written to the user catalogue folder, indexed at once and selected; the queries join the
    /// user's `queries.tsv`, and the window shows where the entry ranks for each.
    fn save_draft(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.add else { return };
        let Some(record) = dialog.record.clone() else {
            return;
        };
        let fail = |dialog: &mut AddDialog, why: String| dialog.error = Some(why);
        if let Some(doi) = &record.doi
            && let Some(e) = self.catalogue.cited_by(doi)
        {
            return fail(
                dialog,
                format!("{doi} is already in the catalogue, cited by \"{}\"", e.id),
            );
        }
        let id = dialog.id.trim().to_owned();
        if self.catalogue.get(&id).is_some() {
            return fail(dialog, format!("the id \"{id}\" is taken: choose another"));
        }
        let Some(input) = record.draft_input(
            &id,
            dialog.name.trim(),
            &medatlas::cite::Date::today().iso(),
        ) else {
            return fail(dialog, "the record has no DOI and no web address".into());
        };
        let mut kept: Vec<_> = dialog
            .suggestions
            .iter()
            .filter(|(_, keep)| *keep)
            .map(|(s, _)| s.clone())
            .collect();
        // Values the user picked from the vocabulary count like kept suggestions.
        for ((name, _), values) in FACETS.iter().zip(&dialog.chosen) {
            for v in values {
                if !kept.iter().any(|s| s.vocab == *name && &s.value == v) {
                    kept.push(medatlas::catalogue::draft::Suggestion {
                        vocab: *name,
                        value: v.clone(),
                        matched: "chosen by the user".into(),
                    });
                }
            }
        }
        let entry = medatlas::catalogue::draft::draft(&input, &self.catalogue.vocabulary, &kept);
        let file = format!("{id}.toml");
        let text = match medatlas::catalogue::draft::to_toml(&entry) {
            Ok(text) => text,
            Err(e) => return fail(dialog, e.to_string()),
        };
        let mut parsed = match medatlas::catalogue::validate::parse_entry(
            &file,
            text.as_bytes(),
            &id,
            &self.catalogue.vocabulary,
        ) {
            Ok(parsed) => parsed,
            Err(problems) => {
                dialog.problems = problems;
                return;
            }
        };
        dialog.problems.clear();
        let Some(dir) = &self.user_dir else {
            return fail(dialog, "this platform has no user catalogue folder".into());
        };
        let path = dir.join(&file);
        if path.exists() {
            return fail(
                dialog,
                format!("{} exists: choose another id", path.display()),
            );
        }
        if let Err(e) = medatlas::shortlist::write_atomically(&path, text.as_bytes()) {
            return fail(dialog, e.to_string());
        }
        let queries: Vec<String> = dialog
            .queries
            .iter()
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty())
            .collect();
        if let Some(file) = &self.queries_file
            && !queries.is_empty()
        {
            let lines: String = queries.iter().map(|q| format!("{q}\t{id}:2\n")).collect();
            let result =
                std::fs::create_dir_all(file.parent().unwrap_or(std::path::Path::new(".")))
                    .and_then(|()| {
                        use std::io::Write as _;
                        std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(file)?
                            .write_all(lines.as_bytes())
                    });
            if let Err(e) = result {
                tracing::warn!("the queries were not saved to {}: {e}", file.display());
            }
        }
        parsed.origin = medatlas::catalogue::entry::Origin::User(path.display().to_string());
        self.install_entry(ctx, parsed);
        let ranks = queries
            .iter()
            .map(|q| {
                let rank = self.engine.as_ref().and_then(|engine| {
                    engine
                        .search(&Query {
                            text: q.clone(),
                            limit: Some(50),
                            ..Default::default()
                        })
                        .ok()
                        .and_then(|r| r.results.iter().position(|h| h.id == id))
                        .map(|p| p + 1)
                });
                (q.clone(), rank)
            })
            .collect();
        if let Some(dialog) = &mut self.add {
            dialog.saved = Some((id.clone(), ranks));
        }
        self.state.selected = Some(id.clone());
        self.state.show_detail = true;
        self.scroll_to_selected = true;
        self.set_status(format!("{id} added as a draft"));
    }

    /// Puts `entry` into the catalogue (replacing one with its id) and indexes it at once: a fresh
    /// engine over the new catalogue for keyword search now, and a semantic session that embeds
    /// what changed in the background.
    fn install_entry(&mut self, ctx: &egui::Context, entry: Entry) {
        let mut catalogue = (*self.catalogue).clone();
        match catalogue.entries.iter().position(|e| e.id == entry.id) {
            Some(i) => catalogue.entries[i] = entry,
            None => {
                catalogue.entries.push(entry);
                catalogue.entries.sort_by(|a, b| a.id.cmp(&b.id));
                catalogue.files_read += 1;
            }
        }
        self.catalogue = Arc::new(catalogue);
        self.citer = Citer::new(&self.catalogue);
        match engine::open(&self.catalogue, &self.location) {
            Ok(built) => self.engine = Some(built.engine),
            Err(e) => self.engine_error = Some(e.to_string()),
        }
        self.vectors.clear();
        self.query_vector = None;
        self.plan = None;
        self.results_key = None;
        if self.load_model {
            self.start_session(ctx);
        }
    }

    /// Opens the Edit window for a user entry; a bundled entry is first copied, as shipped, into
    /// the user catalogue folder, where it overrides the bundled one.
    fn open_edit(&mut self, ctx: &egui::Context, id: &str) {
        let Some(entry) = self.catalogue.get(id).cloned() else {
            return;
        };
        let path = match &entry.origin {
            medatlas::catalogue::entry::Origin::User(path) => std::path::PathBuf::from(path),
            medatlas::catalogue::entry::Origin::Bundled => {
                let (Some(dir), Some(text)) = (
                    self.user_dir.clone(),
                    medatlas::catalogue::bundled_entry_text(id),
                ) else {
                    return self.set_status("This platform has no user catalogue folder");
                };
                let path = dir.join(format!("{id}.toml"));
                if path.exists() {
                    return self.set_status(format!(
                        "{} exists already: it is loaded from your folder after a restart",
                        path.display()
                    ));
                }
                if let Err(e) = medatlas::shortlist::write_atomically(&path, text.as_bytes()) {
                    return self.set_status(format!("Could not copy {id}: {e}"));
                }
                let mut copy = entry.clone();
                copy.origin = medatlas::catalogue::entry::Origin::User(path.display().to_string());
                self.install_entry(ctx, copy);
                self.set_status(format!(
                    "{id} copied to your catalogue: your copy overrides the bundled one"
                ));
                path
            }
        };
        let entry = self.catalogue.get(id).cloned().unwrap_or(entry);
        self.edit = Some(EditDialog::of(&entry, path));
    }

    /// Applies the Edit window's changes to its file (comments and order kept), validated first.
    fn save_edit(&mut self, ctx: &egui::Context) {
        use medatlas::catalogue::edit::{Change, apply};
        let Some(dialog) = &mut self.edit else { return };
        let text = match std::fs::read_to_string(&dialog.path) {
            Ok(text) => text,
            Err(e) => {
                dialog.error = Some(format!("{}: {e}", dialog.path.display()));
                return;
            }
        };
        let mut changes = vec![
            Change::Text("name", dialog.name.trim().to_owned()),
            Change::Text("summary", dialog.summary.trim().to_owned()),
        ];
        for ((_, field), values) in FACETS.iter().zip(&dialog.facets) {
            changes.push(Change::List(field, values.clone()));
        }
        if dialog.confirm {
            changes.push(Change::Confirm);
        }
        let edited = match apply(&text, &changes) {
            Ok(edited) => edited,
            Err(e) => {
                dialog.error = Some(e.to_string());
                return;
            }
        };
        let file = dialog.path.display().to_string();
        let mut entry = match medatlas::catalogue::validate::parse_entry(
            &file,
            edited.as_bytes(),
            &dialog.id,
            &self.catalogue.vocabulary,
        ) {
            Ok(entry) => entry,
            Err(problems) => {
                dialog.problems = problems;
                return;
            }
        };
        if let Err(e) = medatlas::shortlist::write_atomically(&dialog.path, edited.as_bytes()) {
            dialog.error = Some(e.to_string());
            return;
        }
        entry.origin = medatlas::catalogue::entry::Origin::User(file);
        let id = entry.id.clone();
        self.edit = None;
        self.install_entry(ctx, entry);
        self.state.selected = Some(id.clone());
        self.set_status(format!("{id} saved"));
    }

    /// (Re)builds the write-up kit for `items` in the current citation format.
    pub fn build_writeup(&mut self, items: Vec<WriteupItem>) {
        match Kit::build(
            &self.catalogue,
            &self.citer,
            &items,
            self.state.citation_format,
        ) {
            Ok(kit) => self.writeup = Some((items, kit)),
            Err(e) => self.set_status(e.to_string()),
        }
    }

    /// Reads the shortlists file; a file that cannot be read is reported and left alone.
    fn load_shortlists(&mut self) {
        let Some(file) = &self.shortlist_file else {
            return;
        };
        match file.load() {
            Ok(lists) => self.shortlists = lists,
            Err(e) => {
                tracing::warn!("{e}");
                self.set_status(format!("Shortlists not loaded: {e}"));
                self.shortlist_problem = Some(e.to_string());
            }
        }
        if self
            .state
            .active_shortlist
            .as_ref()
            .is_none_or(|a| self.shortlists.get(a).is_none())
        {
            self.state.active_shortlist = self.shortlists.names().first().map(|n| (*n).to_owned());
        }
        self.shortlist_name_edit = self.state.active_shortlist.clone().unwrap_or_default();
    }

    /// Writes the shortlists file (atomically, keeping the previous version as a backup), unless
    /// it could not be read at start.
    fn save_shortlists(&mut self) {
        let Some(file) = &self.shortlist_file else {
            return;
        };
        if let Some(problem) = &self.shortlist_problem {
            self.set_status(format!(
                "Shortlist changes are not saved: the shortlists file could not be read ({problem})"
            ));
            return;
        }
        if let Err(e) = file.save(&self.shortlists) {
            tracing::warn!("{e}");
            self.set_status(format!("Shortlists not saved: {e}"));
        }
    }

    /// The active shortlist's name, when it exists.
    pub fn active_shortlist_name(&self) -> Option<String> {
        self.state
            .active_shortlist
            .clone()
            .filter(|n| self.shortlists.get(n).is_some())
    }

    /// True when `id` is in the active shortlist.
    pub fn is_shortlisted(&self, id: &str) -> bool {
        self.active_shortlist_name()
            .and_then(|n| self.shortlists.get(&n).map(|l| l.contains(id)))
            .unwrap_or(false)
    }

    fn toggle_shortlisted(&mut self, id: &str) {
        let name = match self.active_shortlist_name() {
            Some(name) => name,
            None => {
                let name = self.shortlists.unused_name("My shortlist");
                if let Err(e) = self.shortlists.create(&name) {
                    self.set_status(e.to_string());
                    return;
                }
                self.state.active_shortlist = Some(name.clone());
                self.shortlist_name_edit = name.clone();
                name
            }
        };
        let short = self
            .catalogue
            .get(id)
            .map_or(id.to_owned(), |e| e.short_name.clone());
        match self.shortlists.toggle(&name, id) {
            Ok(true) => self.set_status(format!("{short} added to \"{name}\"")),
            Ok(false) => self.set_status(format!("{short} removed from \"{name}\"")),
            Err(e) => self.set_status(e.to_string()),
        }
        self.save_shortlists();
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        self.state
            .selected
            .as_deref()
            .and_then(|id| self.catalogue.get(id))
    }

    pub fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), Instant::now()));
    }

    pub fn status_text(&self) -> Option<&str> {
        self.status
            .as_ref()
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(6))
            .map(|(t, _)| t.as_str())
    }

    pub fn apply_theme(&self, ctx: &egui::Context) {
        ctx.set_theme(match self.state.theme {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        });
    }

    /// Every user action goes through here.
    pub fn handle(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::ToggleFacet(facet, value) => self.state.selection.toggle(facet, &value),
            Command::ClearFilters => self.state.selection = Default::default(),
            Command::Select(id) => {
                self.state.selected = Some(id);
                self.state.show_detail = true;
            }
            Command::MoveSelection(delta) => {
                if self.rows.is_empty() {
                    return;
                }
                let current = self
                    .state
                    .selected
                    .as_ref()
                    .and_then(|s| self.rows.iter().position(|r| r == s));
                let next = match current {
                    Some(i) => (i as isize + delta).clamp(0, self.rows.len() as isize - 1) as usize,
                    None => 0,
                };
                self.state.selected = Some(self.rows[next].clone());
                self.scroll_to_selected = true;
            }
            Command::OpenDetail => self.state.show_detail = true,
            Command::CloseDetail => self.state.show_detail = false,
            Command::OpenUrl(url) => self.open_url(&url),
            Command::OpenSelectedHomepage => {
                if let Some(url) = self.selected_entry().map(|e| e.homepage.clone()) {
                    self.open_url(&url);
                }
            }
            Command::Copy { text, what } => {
                ctx.copy_text(text.clone());
                self.last_copied = Some(text);
                self.set_status(format!("{what} copied"));
            }
            Command::SetFormat(format) => self.state.citation_format = format,
            Command::SetMode(mode) => self.state.mode = mode,
            Command::SortBy(column) => {
                self.state.sort = match self.state.sort {
                    Some((c, true)) if c == column => Some((c, false)),
                    Some((c, false)) if c == column => None,
                    _ => Some((column, true)),
                };
                self.sort_rows();
            }
            Command::DismissNotice => self.notice_dismissed = true,
            Command::CheckLinks => self.start_link_check(ctx),
            Command::ApplyEmbedder => {
                self.embedder_note = None;
                self.set_status("Starting a new search session with the chosen embedder…");
                self.start_session(ctx);
            }
            Command::TestEmbedder => self.start_embedder_test(ctx),
            Command::ToggleShortlisted(id) => self.toggle_shortlisted(&id),
            Command::ToggleSelectedShortlisted => {
                if let Some(id) = self.state.selected.clone() {
                    self.toggle_shortlisted(&id);
                }
            }
            Command::NewShortlist => {
                let name = self.shortlists.unused_name("New shortlist");
                if self.shortlists.create(&name).is_ok() {
                    self.shortlist_name_edit = name.clone();
                    self.state.active_shortlist = Some(name);
                    self.save_shortlists();
                }
            }
            Command::SetActiveShortlist(name) => {
                self.shortlist_name_edit = name.clone();
                self.compare_picks.clear();
                self.state.active_shortlist = Some(name);
            }
            Command::RenameShortlist(to) => {
                if let Some(from) = self.active_shortlist_name() {
                    match self.shortlists.rename(&from, &to) {
                        Ok(()) => {
                            self.state.active_shortlist = Some(to.trim().to_owned());
                            self.save_shortlists();
                        }
                        Err(e) => self.set_status(e.to_string()),
                    }
                }
            }
            Command::DeleteActiveShortlist => {
                if let Some(name) = self.active_shortlist_name()
                    && self.shortlists.delete(&name).is_ok()
                {
                    self.state.active_shortlist =
                        self.shortlists.names().first().map(|n| (*n).to_owned());
                    self.shortlist_name_edit =
                        self.state.active_shortlist.clone().unwrap_or_default();
                    self.set_status(format!("Shortlist \"{name}\" deleted"));
                    self.save_shortlists();
                }
            }
            Command::MoveShortlisted(id, delta) => {
                if let Some(name) = self.active_shortlist_name()
                    && let Some(list) = self.shortlists.get(&name)
                    && let Some(at) = list.items.iter().position(|i| i.id == id)
                {
                    let to = (at as isize + delta).clamp(0, list.items.len() as isize - 1) as usize;
                    if to != at && self.shortlists.move_item(&name, &id, to).is_ok() {
                        self.save_shortlists();
                    }
                }
            }
            Command::SetShortlistNote(id, note) => {
                if let Some(name) = self.active_shortlist_name()
                    && self.shortlists.set_note(&name, &id, &note).is_ok()
                {
                    self.save_shortlists();
                }
            }
            Command::OpenWriteup => {
                let items: Vec<WriteupItem> = self
                    .active_shortlist_name()
                    .and_then(|n| self.shortlists.get(&n))
                    .map(|l| {
                        l.items
                            .iter()
                            .filter(|i| self.catalogue.get(&i.id).is_some())
                            .map(|i| WriteupItem {
                                id: i.id.clone(),
                                note: i.note.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.build_writeup(items);
            }
            Command::OpenAdd => self.add = Some(AddDialog::default()),
            Command::OpenEdit(id) => self.open_edit(ctx, &id),
            Command::SaveEdit => self.save_edit(ctx),
            Command::SaveContact(address) => self.save_contact(&address),
            Command::SaveDraft => self.save_draft(ctx),
            Command::SendToZotero { ids, title, tag } => {
                let entries: Vec<&Entry> =
                    ids.iter().filter_map(|id| self.catalogue.get(id)).collect();
                if entries.is_empty() {
                    self.set_status("Nothing to send to Zotero");
                } else {
                    let request = ZoteroRequest::of(&entries, title, tag);
                    self.zotero.start(ctx, request);
                }
            }
            Command::Compare(ids) => match Comparison::of(&self.catalogue, &ids) {
                Ok(c) => self.comparison = Some(c),
                Err(e) => self.set_status(e.to_string()),
            },
            Command::CancelLinkCheck => {
                if let Some(check) = &self.link_check {
                    check.cancel.store(true, Ordering::Relaxed);
                    self.set_status("Cancelling the link check…");
                }
            }
        }
    }

    /// Checks every link of the catalogue in the background, with progress and cancel.
    fn start_link_check(&mut self, ctx: &egui::Context) {
        if self.link_check.is_some() {
            return;
        }
        // The links of the results shown: all of them when nothing is searched or filtered.
        let shown: Vec<Entry> = self
            .rows
            .iter()
            .filter_map(|id| self.catalogue.get(id).cloned())
            .collect();
        let urls: Vec<String> = links::targets(&shown).into_iter().map(|t| t.url).collect();
        let done = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(urls.len()));
        let cancel = Arc::new(AtomicBool::new(false));
        let (d, t, c, ctx) = (done.clone(), total.clone(), cancel.clone(), ctx.clone());
        let promise = Promise::spawn_thread("medatlas-links", move || {
            let progress = |n: usize, of: usize| {
                d.store(n, Ordering::Relaxed);
                t.store(of, Ordering::Relaxed);
                ctx.request_repaint();
            };
            let report = links::check_urls(&urls, &CheckOptions::default(), &c, &progress)
                .map_err(|e| e.to_string());
            ctx.request_repaint();
            report
        });
        self.link_check = Some(LinkCheck {
            promise,
            done,
            total,
            cancel,
        });
        self.set_status("Checking links…");
    }

    fn finish_link_check(&mut self, report: CheckReport) {
        if let Some(engine) = &self.engine
            && let Err(e) = links::save_results(engine.store(), &report.results)
        {
            tracing::warn!("could not save link checks: {e}");
        }
        let summary: Vec<String> = report
            .counts()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(status, n)| format!("{n} {}", status.as_str().replace('_', " ")))
            .collect();
        let message = match (&report.offline, report.cancelled) {
            (Some(why), _) => format!("Links not checked: {why}"),
            (None, true) => format!("Link check cancelled: {}", summary.join(", ")),
            (None, false) => format!(
                "Checked {} links in {:.1} s: {}",
                report.results.len(),
                report.elapsed_ms as f64 / 1000.0,
                summary.join(", ")
            ),
        };
        for result in report.results {
            // An offline run says nothing new about a link: keep what an earlier check found.
            if !result.is_offline() || !self.link_results.contains_key(&result.url) {
                self.link_results.insert(result.url.clone(), result);
            }
        }
        self.set_status(message);
    }

    /// Only http(s) links are ever opened; anything else is refused with a message.
    fn open_url(&mut self, url: &str) {
        if let Err(why) = medatlas::catalogue::validate::check_http_url(url) {
            self.set_status(format!("Refused to open \"{url}\": {why}"));
            return;
        }
        match (self.opener)(url) {
            Ok(()) => self.set_status(format!("Opened {url}")),
            Err(e) => self.set_status(format!("Could not open {url}: {e}")),
        }
    }
}

pub fn access_rank(level: &str) -> u64 {
    match level {
        "open" => 0,
        "registration" => 1,
        "application" => 2,
        "credentialed" => 3,
        "restricted" => 4,
        _ => 5,
    }
}

/// Sizes compare by unit (subjects, cases, images, studies, series), then by value in the chosen
/// direction; entries without a figure come last either way.
fn size_order(a: Option<&Entry>, b: Option<&Entry>, ascending: bool) -> std::cmp::Ordering {
    let headline = |e: Option<&Entry>| e.and_then(|e| e.size.as_ref()).and_then(|s| s.headline());
    match (headline(a), headline(b)) {
        (Some((x, ux)), Some((y, uy))) => {
            let by_value = if ascending { x.cmp(&y) } else { y.cmp(&x) };
            ux.cmp(&uy).then(by_value)
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_background();
        let ctx = ui.ctx().clone();
        self.refresh_results(&ctx);
        let commands = super::draw(self, ui);
        for command in commands {
            self.handle(&ctx, command);
        }
        self.refresh_results(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STATE_KEY, &self.state);
    }
}
