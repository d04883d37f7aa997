//! What the window remembers across restarts, and the commands user actions become.

use medatlas::catalogue::facets::{FacetKind, Selection};
use medatlas::cite::Format;
use medatlas::embed::remote::{ApiKey, RemoteConfig};
use medatlas::engine::EmbedderChoice;
use medatlas::search::Mode;
use serde::{Deserialize, Serialize};

/// The persisted part of the app (saved the eframe way). Every field has a default, so state saved
/// by an older version still loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub query: String,
    pub mode: Mode,
    pub selection: Selection,
    pub selected: Option<String>,
    pub show_detail: bool,
    pub citation_format: Format,
    pub theme: Theme,
    pub sort: Option<(SortColumn, bool)>,
    pub embedder: EmbedderPrefs,
    /// The shortlist the results' toggles and Ctrl+D add to (the lists themselves live in their
    /// own file, not here).
    pub active_shortlist: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            query: String::new(),
            mode: Mode::Hybrid,
            selection: Selection::default(),
            selected: None,
            show_detail: true,
            citation_format: Format::Apa,
            theme: Theme::System,
            sort: None,
            embedder: EmbedderPrefs::default(),
            active_shortlist: None,
        }
    }
}

/// Which embedder semantic search uses, as the user set it in Preferences. The API key itself is
/// never part of the state: only where to read it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbedderPrefs {
    pub remote: bool,
    /// The service's base address, e.g. `http://localhost:8080`.
    pub endpoint: String,
    pub model: String,
    /// The vectors' length; empty: learnt from the service.
    pub dimension: String,
    pub key_source: KeySource,
    /// The environment variable holding the key (with `KeySource::Environment`).
    pub key_variable: String,
    /// The file holding the key (with `KeySource::File`); it must be private to its owner.
    pub key_file: String,
}

impl Default for EmbedderPrefs {
    fn default() -> Self {
        EmbedderPrefs {
            remote: false,
            endpoint: String::new(),
            model: String::new(),
            dimension: String::new(),
            key_source: KeySource::Environment,
            key_variable: medatlas::embed::remote::ENV_API_KEY.to_owned(),
            key_file: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KeySource {
    /// No key (a local service).
    None,
    #[default]
    Environment,
    File,
}

impl EmbedderPrefs {
    /// The embedder these settings choose; an error names the setting that is wrong.
    pub fn choice(&self) -> Result<EmbedderChoice, String> {
        if !self.remote {
            return Ok(EmbedderChoice::MiniLm);
        }
        if self.endpoint.trim().is_empty() || self.model.trim().is_empty() {
            return Err("the remote embedder needs an address and a model".to_owned());
        }
        let mut config = RemoteConfig::new(self.endpoint.trim(), self.model.trim());
        let dimension = self.dimension.trim();
        if !dimension.is_empty() {
            config.dimension = Some(
                dimension
                    .parse()
                    .ok()
                    .filter(|&d: &usize| d > 0)
                    .ok_or_else(|| {
                        format!("the dimension must be a positive whole number, not {dimension:?}")
                    })?,
            );
        }
        config.api_key = match self.key_source {
            KeySource::None => None,
            KeySource::Environment => {
                let var = self.key_variable.trim();
                let key = std::env::var(var).ok().filter(|k| !k.trim().is_empty());
                Some(ApiKey::new(
                    key.ok_or_else(|| format!("the environment variable {var} is not set"))?
                        .trim(),
                ))
            }
            KeySource::File => Some(
                ApiKey::from_file(std::path::Path::new(self.key_file.trim()))
                    .map_err(|e| e.to_string())?,
            ),
        };
        Ok(EmbedderChoice::Remote(config))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Result table columns that can be sorted (relevance order when none is chosen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    Name,
    Modalities,
    BodyParts,
    Access,
    Tier,
    Size,
}

/// Everything a user can do, handled in one place (`App::handle`).
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    ToggleFacet(FacetKind, String),
    ClearFilters,
    Select(String),
    MoveSelection(isize),
    OpenDetail,
    CloseDetail,
    OpenUrl(String),
    OpenSelectedHomepage,
    Copy {
        text: String,
        what: String,
    },
    SetFormat(Format),
    SetMode(Mode),
    SortBy(SortColumn),
    DismissNotice,
    CheckLinks,
    /// Start a new search session with the embedder set in Preferences.
    ApplyEmbedder,
    /// Embed one sentence with the remote embedder set in Preferences, to see that it works.
    TestEmbedder,
    CancelLinkCheck,
    /// Add the dataset to the active shortlist, or remove it (a first shortlist is created).
    ToggleShortlisted(String),
    /// The same for the selected dataset (Ctrl+D).
    ToggleSelectedShortlisted,
    NewShortlist,
    SetActiveShortlist(String),
    RenameShortlist(String),
    DeleteActiveShortlist,
    /// Move an item of the active shortlist up (-1) or down (+1).
    MoveShortlisted(String, isize),
    SetShortlistNote(String, String),
    /// Show these datasets side by side.
    Compare(Vec<String>),
    /// Open the write-up kit for the active shortlist's datasets.
    OpenWriteup,
    /// Save the contact address given to metadata services (empty: remove it).
    SaveContact(String),
    /// Edit a user entry; a bundled one is first copied into the user catalogue folder.
    OpenEdit(String),
    /// Save the Edit window's changes.
    SaveEdit,
    /// Open the Add dataset window.
    OpenAdd,
    /// Save the Add dataset window's draft into the user catalogue folder.
    SaveDraft,
    /// Send the citations of these datasets to Zotero (the title names them; a shortlist's name
    /// becomes a tag).
    SendToZotero {
        ids: Vec<String>,
        title: String,
        tag: Option<String>,
    },
}
