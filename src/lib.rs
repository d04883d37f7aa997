//! MedAtlas core: the curated catalogue of medical imaging datasets and everything built on it.
//!
//! This library knows nothing of any user interface. The desktop window (`src/ui`) and the command
//! line (`src/cli`) are thin front ends over these modules:
//! - `catalogue`: the bundled and user entries, their vocabularies, validation and facets;
//! - `cite`: citations in APA, Vancouver, BibTeX, RIS and CSL-JSON;
//! - `store`: the SQLite / sqlite-vec cache of the catalogue;
//! - `embed`: sentence embeddings (the bundled MiniLM model) behind the `Embedder` trait;
//! - `search`: keyword, semantic and hybrid ranking, facet counts and retrieval evaluation;
//! - `links`: background link health checks;
//! - `shortlist`: the user's named shortlists of datasets, in their own file;
//! - `compare`: datasets side by side;
//! - `config`: the user's settings (a contact address for metadata services);
//! - `doi`: a dataset paper's metadata from its DOI (doi.org, Crossref, DataCite) or a BibTeX entry;
//! - `writeup`: references, acknowledgements, data availability and terms for a paper;
//! - `zotero`: sending citations to the user's running Zotero (its local connector server);
//! - `engine`: the one recipe that assembles catalogue, store and embedder into a search engine.
#![deny(unsafe_code)]

pub mod catalogue;
pub mod cite;
pub mod compare;
pub mod config;
pub mod doi;
pub mod embed;
pub mod engine;
pub mod links;
pub mod search;
pub mod shortlist;
pub mod store;
pub mod writeup;
pub mod zotero;

/// The platform's folders for MedAtlas (data, cache, configuration), where it has them.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "MedAtlas", "medatlas")
}

/// The user's own judged queries (`queries.tsv` in the user data folder), read by `eval` by default
/// and extended by the Add dataset window.
pub fn user_queries_file() -> Option<std::path::PathBuf> {
    project_dirs().map(|d| d.data_dir().join("queries.tsv"))
}

/// The program's version, for About boxes and User-Agent strings.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
