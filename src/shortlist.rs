//! Named shortlists of datasets (one per paper or project), each item with an optional note (which
//! release or subset was used). They are the user's own data, not a cache: they live in their own
//! file in the user data folder (`shortlists.toml`), never in the store, which may be moved aside or
//! rebuilt. Every save writes a temporary file and renames it over the old one, after copying the
//! old one to `shortlists.toml.bak`; a file that cannot be read is reported (with its line) and left
//! as it is: saving over it is refused until the user fixes or moves it.
//!
//! A single shortlist is exported and imported as a small TOML or JSON file. Ids the catalogue does
//! not know are kept and reported, never dropped: a dataset may come back, or come from a colleague's
//! own catalogue folder.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file format's version, written into every file.
pub const FORMAT_VERSION: u32 = 1;

/// The default file name in the user data folder.
pub const FILE_NAME: &str = "shortlists.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shortlist {
    pub name: String,
    #[serde(default)]
    pub items: Vec<Item>,
}

impl Shortlist {
    pub fn new(name: &str) -> Self {
        Shortlist {
            name: name.to_owned(),
            items: Vec::new(),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.items.iter().any(|i| i.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.id.as_str()).collect()
    }

    /// Ids not in `known` (kept in the list; reported by the caller).
    pub fn unknown_ids(&self, known: impl Fn(&str) -> bool) -> Vec<String> {
        self.items
            .iter()
            .filter(|i| !known(&i.id))
            .map(|i| i.id.clone())
            .collect()
    }
}

/// Every shortlist of a user, in their order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shortlists {
    #[serde(default = "format_version")]
    pub version: u32,
    #[serde(default)]
    pub lists: Vec<Shortlist>,
}

fn format_version() -> u32 {
    FORMAT_VERSION
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShortlistError {
    #[error("no shortlist named \"{0}\"")]
    NoSuchList(String),
    #[error("a shortlist named \"{0}\" already exists")]
    Exists(String),
    #[error("a shortlist name cannot be empty")]
    EmptyName,
    #[error("\"{id}\" is not in shortlist \"{list}\"")]
    NotInList { list: String, id: String },
    #[error("position {position} is outside shortlist \"{list}\" ({len} items)")]
    Position {
        list: String,
        position: usize,
        len: usize,
    },
}

impl Shortlists {
    pub fn get(&self, name: &str) -> Option<&Shortlist> {
        self.lists.iter().find(|l| l.name == name)
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut Shortlist, ShortlistError> {
        self.lists
            .iter_mut()
            .find(|l| l.name == name)
            .ok_or_else(|| ShortlistError::NoSuchList(name.to_owned()))
    }

    pub fn names(&self) -> Vec<&str> {
        self.lists.iter().map(|l| l.name.as_str()).collect()
    }

    /// Creates an empty shortlist at the end.
    pub fn create(&mut self, name: &str) -> Result<(), ShortlistError> {
        let name = clean_name(name)?;
        if self.get(&name).is_some() {
            return Err(ShortlistError::Exists(name));
        }
        self.lists.push(Shortlist::new(&name));
        Ok(())
    }

    /// Adds a whole shortlist (an import) at the end.
    pub fn insert(&mut self, list: Shortlist) -> Result<(), ShortlistError> {
        let name = clean_name(&list.name)?;
        if self.get(&name).is_some() {
            return Err(ShortlistError::Exists(name));
        }
        self.lists.push(Shortlist { name, ..list });
        Ok(())
    }

    pub fn delete(&mut self, name: &str) -> Result<Shortlist, ShortlistError> {
        let at = self
            .lists
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| ShortlistError::NoSuchList(name.to_owned()))?;
        Ok(self.lists.remove(at))
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), ShortlistError> {
        let to = clean_name(to)?;
        if from != to && self.get(&to).is_some() {
            return Err(ShortlistError::Exists(to));
        }
        self.get_mut(from)?.name = to;
        Ok(())
    }

    /// Adds `id` at the end (a note given replaces the item's note). True when it was not there.
    pub fn add(
        &mut self,
        list: &str,
        id: &str,
        note: Option<&str>,
    ) -> Result<bool, ShortlistError> {
        let list = self.get_mut(list)?;
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if let Some(item) = list.items.iter_mut().find(|i| i.id == id) {
            if note.is_some() {
                item.note = note;
            }
            return Ok(false);
        }
        list.items.push(Item {
            id: id.to_owned(),
            note,
        });
        Ok(true)
    }

    pub fn remove(&mut self, list: &str, id: &str) -> Result<(), ShortlistError> {
        let l = self.get_mut(list)?;
        let before = l.items.len();
        l.items.retain(|i| i.id != id);
        if l.items.len() == before {
            return Err(ShortlistError::NotInList {
                list: list.to_owned(),
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Adds `id` when absent, removes it when present; true when it is in the list afterwards.
    pub fn toggle(&mut self, list: &str, id: &str) -> Result<bool, ShortlistError> {
        if self.get_mut(list)?.contains(id) {
            self.remove(list, id)?;
            Ok(false)
        } else {
            self.add(list, id, None)?;
            Ok(true)
        }
    }

    /// Sets (or clears, with an empty text) the note of an item.
    pub fn set_note(&mut self, list: &str, id: &str, note: &str) -> Result<(), ShortlistError> {
        let l = self.get_mut(list)?;
        let item =
            l.items
                .iter_mut()
                .find(|i| i.id == id)
                .ok_or_else(|| ShortlistError::NotInList {
                    list: list.to_owned(),
                    id: id.to_owned(),
                })?;
        let note = note.trim();
        item.note = (!note.is_empty()).then(|| note.to_owned());
        Ok(())
    }

    /// Moves an item to `position` (0-based) in its list.
    pub fn move_item(
        &mut self,
        list: &str,
        id: &str,
        position: usize,
    ) -> Result<(), ShortlistError> {
        let l = self.get_mut(list)?;
        let len = l.items.len();
        let from =
            l.items
                .iter()
                .position(|i| i.id == id)
                .ok_or_else(|| ShortlistError::NotInList {
                    list: list.to_owned(),
                    id: id.to_owned(),
                })?;
        if position >= len {
            return Err(ShortlistError::Position {
                list: list.to_owned(),
                position,
                len,
            });
        }
        let item = l.items.remove(from);
        l.items.insert(position, item);
        Ok(())
    }

    /// Moves a whole list to `position` among the lists.
    pub fn move_list(&mut self, name: &str, position: usize) -> Result<(), ShortlistError> {
        let len = self.lists.len();
        let from = self
            .lists
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| ShortlistError::NoSuchList(name.to_owned()))?;
        if position >= len {
            return Err(ShortlistError::Position {
                list: name.to_owned(),
                position,
                len,
            });
        }
        let list = self.lists.remove(from);
        self.lists.insert(position, list);
        Ok(())
    }

    /// A name not used yet, from `base` ("My shortlist", "My shortlist 2", ...).
    pub fn unused_name(&self, base: &str) -> String {
        let taken: BTreeSet<&str> = self.names().into_iter().collect();
        if !taken.contains(base) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base} {n}"))
            .find(|n| !taken.contains(n.as_str()))
            .unwrap_or_else(|| base.to_owned())
    }
}

fn clean_name(name: &str) -> Result<String, ShortlistError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ShortlistError::EmptyName);
    }
    Ok(name.to_owned())
}

/// Why a shortlist file could not be read or written. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message} (the file is kept as it is; fix or move it)")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: written by a newer MedAtlas (format version {found}; this one reads {FORMAT_VERSION})"
    )]
    Version { path: String, found: u32 },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{0}: cannot tell the format; use a .toml or .json file")]
    Format(String),
}

fn io_error(path: &Path, source: std::io::Error) -> FileError {
    FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Line and column (1-based) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
        FileError::Parse {
            path: path.display().to_string(),
            line,
            column,
            message: e.message().to_owned(),
        }
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    serde_json::from_str(text).map_err(|e| FileError::Parse {
        path: path.display().to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Every list must have a distinct, non-empty name and no id twice.
fn check(path: &Path, lists: &[Shortlist]) -> Result<(), FileError> {
    let invalid = |message: String| FileError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let mut names = BTreeSet::new();
    for list in lists {
        if list.name.trim().is_empty() {
            return Err(invalid("a shortlist has an empty name".into()));
        }
        if !names.insert(list.name.as_str()) {
            return Err(invalid(format!(
                "two shortlists are named \"{}\"",
                list.name
            )));
        }
        let mut ids = BTreeSet::new();
        for item in &list.items {
            if item.id.trim().is_empty() {
                return Err(invalid(format!(
                    "shortlist \"{}\" has an empty id",
                    list.name
                )));
            }
            if !ids.insert(item.id.as_str()) {
                return Err(invalid(format!(
                    "shortlist \"{}\" lists \"{}\" twice",
                    list.name, item.id
                )));
            }
        }
    }
    Ok(())
}

/// The file that holds a user's shortlists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortlistFile {
    pub path: PathBuf,
}

impl ShortlistFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ShortlistFile { path: path.into() }
    }

    /// `<data dir>/shortlists.toml`, e.g. `~/.local/share/medatlas/shortlists.toml` on Linux.
    pub fn default_location() -> Option<Self> {
        crate::project_dirs().map(|d| ShortlistFile::new(d.data_dir().join(FILE_NAME)))
    }

    /// Where the previous version is kept.
    pub fn backup_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".bak");
        PathBuf::from(name)
    }

    /// The shortlists on file; none when there is no file yet.
    pub fn load(&self) -> Result<Shortlists, FileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Shortlists::default()),
            Err(e) => return Err(io_error(&self.path, e)),
        };
        let lists: Shortlists = parse_toml(&self.path, &text)?;
        if lists.version > FORMAT_VERSION {
            return Err(FileError::Version {
                path: self.path.display().to_string(),
                found: lists.version,
            });
        }
        check(&self.path, &lists.lists)?;
        Ok(lists)
    }

    /// Writes `lists`: the current file is copied to the backup first, then the new content is
    /// written to a temporary file in the same folder, flushed and renamed over the file. A current
    /// file that cannot be read as shortlists is never replaced.
    pub fn save(&self, lists: &Shortlists) -> Result<(), FileError> {
        if self.path.exists() {
            self.load()?;
            std::fs::copy(&self.path, self.backup_path()).map_err(|e| io_error(&self.path, e))?;
        }
        let lists = Shortlists {
            version: FORMAT_VERSION,
            lists: lists.lists.clone(),
        };
        let text = toml::to_string_pretty(&lists).map_err(|e| FileError::Invalid {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        let header = "# MedAtlas shortlists: your own data (written by the program; a copy of the \
                      previous version is kept in shortlists.toml.bak).\n";
        write_atomically(&self.path, format!("{header}{text}").as_bytes())
    }
}

/// Writes through a temporary file in the target's folder, renamed over the target once flushed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder).map_err(|e| io_error(folder, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(folder).map_err(|e| io_error(folder, e))?;
    tmp.write_all(bytes).map_err(|e| io_error(path, e))?;
    tmp.as_file().sync_all().map_err(|e| io_error(path, e))?;
    tmp.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}

/// The format of an exported shortlist, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Toml,
    Json,
}

impl ExportFormat {
    pub fn of(path: &Path) -> Result<Self, FileError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("toml") => Ok(ExportFormat::Toml),
            Some("json") => Ok(ExportFormat::Json),
            _ => Err(FileError::Format(path.display().to_string())),
        }
    }
}

/// One shortlist as an exchange file: `medatlas_shortlist` (the format version), `name`, `items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    medatlas_shortlist: u32,
    name: String,
    #[serde(default)]
    items: Vec<Item>,
}

/// The text of an exported shortlist.
pub fn export_text(list: &Shortlist, format: ExportFormat) -> String {
    let exchange = Exchange {
        medatlas_shortlist: FORMAT_VERSION,
        name: list.name.clone(),
        items: list.items.clone(),
    };
    match format {
        ExportFormat::Toml => toml::to_string_pretty(&exchange).unwrap_or_default(),
        ExportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&exchange).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}

/// Reads an exported shortlist (TOML or JSON, by the file's extension).
pub fn import_file(path: &Path) -> Result<Shortlist, FileError> {
    let format = ExportFormat::of(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let exchange: Exchange = match format {
        ExportFormat::Toml => parse_toml(path, &text)?,
        ExportFormat::Json => parse_json(path, &text)?,
    };
    if exchange.medatlas_shortlist > FORMAT_VERSION {
        return Err(FileError::Version {
            path: path.display().to_string(),
            found: exchange.medatlas_shortlist,
        });
    }
    let list = Shortlist {
        name: exchange.name,
        items: exchange.items,
    };
    check(path, std::slice::from_ref(&list))?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> Shortlists {
        let mut s = Shortlists::default();
        s.create("Paper A").unwrap();
        s.add("Paper A", "adni", Some("ADNI-3 only")).unwrap();
        s.add("Paper A", "oasis", None).unwrap();
        s.add("Paper A", "brats", None).unwrap();
        s
    }

    #[test]
    fn editing_keeps_order_notes_and_unique_names() {
        let mut s = lists();
        assert_eq!(
            s.create("Paper A"),
            Err(ShortlistError::Exists("Paper A".into()))
        );
        assert_eq!(s.create("  "), Err(ShortlistError::EmptyName));
        assert!(!s.add("Paper A", "adni", None).unwrap(), "already there");
        assert_eq!(
            s.get("Paper A").unwrap().items[0].note.as_deref(),
            Some("ADNI-3 only")
        );
        s.move_item("Paper A", "brats", 0).unwrap();
        assert_eq!(s.get("Paper A").unwrap().ids(), ["brats", "adni", "oasis"]);
        assert!(matches!(
            s.move_item("Paper A", "brats", 3),
            Err(ShortlistError::Position { len: 3, .. })
        ));
        s.set_note("Paper A", "oasis", "OASIS-3").unwrap();
        s.set_note("Paper A", "adni", " ").unwrap();
        assert_eq!(s.get("Paper A").unwrap().items[1].note, None);
        assert!(!s.toggle("Paper A", "oasis").unwrap());
        assert!(s.toggle("Paper A", "oasis").unwrap());
        s.create("Paper B").unwrap();
        assert_eq!(
            s.rename("Paper B", "Paper A"),
            Err(ShortlistError::Exists("Paper A".into()))
        );
        s.rename("Paper B", "Thesis").unwrap();
        s.move_list("Thesis", 0).unwrap();
        assert_eq!(s.names(), ["Thesis", "Paper A"]);
        assert_eq!(s.unused_name("Thesis"), "Thesis 2");
        s.delete("Thesis").unwrap();
        assert_eq!(
            s.remove("Paper A", "nope"),
            Err(ShortlistError::NotInList {
                list: "Paper A".into(),
                id: "nope".into()
            })
        );
    }

    #[test]
    fn saving_keeps_a_backup_and_never_replaces_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = ShortlistFile::new(dir.path().join("sub/shortlists.toml"));
        assert_eq!(file.load().unwrap(), Shortlists::default());
        let mut s = lists();
        file.save(&s).unwrap();
        assert_eq!(file.load().unwrap().lists, s.lists);
        s.create("Second").unwrap();
        file.save(&s).unwrap();
        let backup = ShortlistFile::new(file.backup_path()).load().unwrap();
        assert_eq!(
            backup.names(),
            ["Paper A"],
            "the backup is the previous version"
        );
        std::fs::write(&file.path, "lists = [ { name = ").unwrap();
        let err = file.load().unwrap_err().to_string();
        assert!(err.contains("shortlists.toml:1:"), "{err}");
        assert!(file.save(&s).is_err(), "a broken file is not overwritten");
        assert_eq!(
            std::fs::read_to_string(&file.path).unwrap(),
            "lists = [ { name = "
        );
    }

    #[test]
    fn export_and_import_round_trip_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let list = lists().get("Paper A").unwrap().clone();
        for (name, format) in [
            ("a.toml", ExportFormat::Toml),
            ("a.json", ExportFormat::Json),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, export_text(&list, format)).unwrap();
            assert_eq!(ExportFormat::of(&path).unwrap(), format);
            assert_eq!(import_file(&path).unwrap(), list);
        }
        let bad = dir.path().join("b.json");
        std::fs::write(&bad, "{\"medatlas_shortlist\": 1, \"name\": \"x\", \"items\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}").unwrap();
        assert!(
            import_file(&bad)
                .unwrap_err()
                .to_string()
                .contains("lists \"a\" twice")
        );
        assert!(import_file(&dir.path().join("c.csv")).is_err());
    }
}
