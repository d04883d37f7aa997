//! What the window remembers across restarts, and the commands user actions become.

use medatlas::catalogue::facets::{FacetKind, Selection};
use medatlas::cite::Format;
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
        }
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
    Copy { text: String, what: String },
    SetFormat(Format),
    SetMode(Mode),
    SortBy(SortColumn),
    DismissNotice,
    CheckLinks,
    CancelLinkCheck,
}
