//! One way to build a search engine, for every front end: where the catalogue comes from (bundled
//! entries, the user's catalogue folder, extra folders), where the store lives, and which embedder
//! semantic search uses. The command line waits for the whole recipe (`build`); the window opens
//! the engine at once (`open`) and loads the model and embeds missing vectors in the background
//! (`load_embedder`, `search::embed_pending`), with the same steps.
//!
//! Problems that do not stop the engine (a corrupt store moved aside) are returned as warnings for
//! the front end to report, once; nothing here prints or logs them.

use std::path::PathBuf;
use std::sync::Arc;

use crate::catalogue::{Catalogue, CatalogueError, LoadOptions};
use crate::embed::remote::{FallbackEmbedder, RemoteConfig, RemoteEmbedder};
use crate::embed::{self, CachedEmbedder, EmbedError, Embedder, MiniLm};
use crate::search::shipped::ShippedVectors;
use crate::search::{SearchEngine, SearchError, embed_pending};
use crate::store::{Location, Store, StoreError};

/// How many query vectors an engine's query embedder keeps (typing revisits recent queries).
const QUERY_CACHE: usize = 128;

/// Where a front end's catalogue and store come from (the command line's global options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// Extra catalogue folders, loaded after the bundled entries and the user's folder.
    pub catalogue_dirs: Vec<PathBuf>,
    /// The store file; `:memory:` keeps it in memory; `None`, the user's cache folder.
    pub store: Option<PathBuf>,
}

impl Sources {
    /// Bundled entries, the platform's user catalogue folder, then the extra folders.
    pub fn load_catalogue(&self) -> Result<Catalogue, CatalogueError> {
        Catalogue::load(&LoadOptions::with_default_user_dir(
            self.catalogue_dirs.clone(),
        ))
    }

    /// Where the store lives: the given file, memory for `:memory:`, or the user's cache folder
    /// (memory when the platform has none).
    pub fn store_location(&self) -> Location {
        match &self.store {
            Some(p) if p.as_os_str() == ":memory:" => Location::Memory,
            Some(p) => Location::File(p.clone()),
            None => Location::default_file().unwrap_or(Location::Memory),
        }
    }
}

/// Which embedder semantic search uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedderChoice {
    /// None: keyword search only (no model is loaded).
    None,
    /// The embedded MiniLM model.
    MiniLm,
    /// An OpenAI-compatible embeddings service; the embedded model stands in for the whole session
    /// when the service cannot be used when the session starts (see `FallbackEmbedder`).
    Remote(RemoteConfig),
}

/// An embedder as an engine uses it: documents are embedded in batches by the model itself, and
/// queries through a small cache, so that indexing never evicts the queries a user typed.
#[derive(Clone)]
pub struct Embedders {
    pub documents: Arc<dyn Embedder>,
    pub queries: Arc<dyn Embedder>,
    /// Why the chosen embedder is not the one in use (a remote service that failed), to be said
    /// plainly to the user.
    pub fallback: Option<String>,
}

impl Embedders {
    fn of(model: Arc<dyn Embedder>, fallback: Option<String>) -> Embedders {
        Embedders {
            queries: Arc::new(CachedEmbedder::new(model.clone(), QUERY_CACHE)),
            documents: model,
            fallback,
        }
    }

    /// The model whose vectors the engine searches (e.g. `remote:text-embedding-3-small@host`).
    pub fn model(&self) -> &str {
        self.documents.id()
    }
}

/// An engine, and what went wrong on the way that did not stop it.
pub struct Built {
    pub engine: SearchEngine,
    /// For the front end to report (e.g. a corrupt store file that was moved aside and rebuilt).
    pub warnings: Vec<String>,
    /// Why the embedder in use is not the one chosen (see `Embedders::fallback`).
    pub fallback: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

/// Opens the store and indexes what changed in the catalogue, without an embedder: keyword search
/// works at once, semantic search once vectors and an embedder are given to the engine. The store's
/// vector index is laid out for the embedded model (whose vectors it keeps).
pub fn open(catalogue: &Catalogue, location: &Location) -> Result<Built, EngineError> {
    open_for(catalogue, location, embed::MINILM_ID, embed::MINILM_DIM)
}

/// `open`, with the vector index laid out for `model`'s vectors of `dimension` values. The vectors
/// of each model are cached apart, so switching models never mixes them nor re-embeds what was
/// embedded before.
fn open_for(
    catalogue: &Catalogue,
    location: &Location,
    model: &str,
    dimension: usize,
) -> Result<Built, EngineError> {
    let mut store = Store::open(location, model, dimension)?;
    let mut warnings = std::mem::take(&mut store.warnings);
    let mut engine = SearchEngine::new(&catalogue.entries, &catalogue.vocabulary, store, None)?;
    if let Some(warning) = use_shipped_vectors(&mut engine)? {
        warnings.push(warning);
    }
    Ok(Built {
        engine,
        warnings,
        fallback: None,
    })
}

/// Stores the shipped vectors of the bundled catalogue (see `search::shipped`); a damaged asset is a
/// warning, and the documents are then embedded as usual.
fn use_shipped_vectors(engine: &mut SearchEngine) -> Result<Option<String>, EngineError> {
    if let Err(e) = ShippedVectors::bundled() {
        return Ok(Some(format!("{e}; the catalogue will be embedded instead")));
    }
    engine.store_shipped_vectors()?;
    Ok(None)
}

/// Loads the chosen embedder (`None` for keyword search only). A remote service is probed once,
/// here; if it cannot be used, the embedded model is loaded instead and `Embedders::fallback` says
/// why (nothing is logged: the front end reports it).
pub fn load_embedder(choice: &EmbedderChoice) -> Result<Option<Embedders>, EmbedError> {
    match choice {
        EmbedderChoice::None => Ok(None),
        EmbedderChoice::MiniLm => Ok(Some(Embedders::of(Arc::new(MiniLm::load()?), None))),
        EmbedderChoice::Remote(config) => {
            let chosen =
                FallbackEmbedder::choose(RemoteEmbedder::new(config.clone()), MiniLm::load)?;
            let fallback = chosen.warning().map(str::to_owned);
            Ok(Some(Embedders::of(Arc::new(chosen), fallback)))
        }
    }
}

/// The whole recipe, for a front end that can wait: loads the embedder, opens the engine with the
/// vector index of the embedder's model, and computes the vectors the store lacks, calling
/// `progress(done, total)` first with `done` 0 and then after each batch (not at all when nothing
/// is missing). A fallback from a remote service to the embedded model is in `Built::fallback`.
pub fn build(
    catalogue: &Catalogue,
    location: &Location,
    choice: &EmbedderChoice,
    mut progress: impl FnMut(usize, usize),
) -> Result<Built, EngineError> {
    let Some(embedders) = load_embedder(choice)? else {
        return open(catalogue, location);
    };
    let mut built = open_for(
        catalogue,
        location,
        embedders.documents.id(),
        embedders.documents.dimension(),
    )?;
    built.fallback = embedders.fallback.clone();
    let pending = built.engine.pending_embeddings()?;
    if !pending.is_empty() {
        progress(0, pending.len());
        let vectors = embed_pending(embedders.documents.as_ref(), pending, &mut progress)?;
        built.engine.store_embeddings(&vectors)?;
    }
    built.engine.set_embedder(embedders.queries);
    Ok(built)
}
