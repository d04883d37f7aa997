//! The catalogue: the bundled, reviewed dataset entries plus any user entries, checked and merged.
//!
//! The bundled files (`catalogue/*.toml` in the repository) are compiled into the binary, so the
//! program runs from any folder. User folders (the platform data dir and `--catalogue DIR`) are read at
//! run time; a user entry whose id matches a bundled one replaces it and is marked as the user's. A
//! broken file never stops loading: the valid entries load and each problem is kept as a `Diagnostic`.
//! This module reads files but knows nothing of search, storage or any front end.

pub mod describe;
pub mod diagnostic;
pub mod draft;
pub mod edit;
pub mod entry;
pub mod facets;
pub mod schema;
pub mod validate;
pub mod vocabulary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

pub use diagnostic::Diagnostic;
pub use entry::{Citation, Entry, Link, Origin, Size, SizeUnit};
pub use vocabulary::{Code, Term, VocabName, Vocabulary};

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/catalogue");

/// The vocabulary file's name, in the bundled catalogue and in a folder given to `validate`.
pub const VOCABULARY_FILE: &str = "vocabulary.toml";

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The vocabulary compiled into the binary does not parse: a build defect, caught by the tests.
    #[error("the bundled vocabulary is invalid:\n{0}")]
    BundledVocabulary(String),
}

/// Checked entries, sorted by id, with the problems met while loading them.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
    pub vocabulary: Vocabulary,
    pub problems: Vec<Diagnostic>,
    /// Files read, bundled and user, for "catalogue information".
    pub files_read: usize,
}

/// Where to look for user entries besides the bundled ones.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folders named with `--catalogue`, in order; a missing one is a problem.
    pub extra_dirs: Vec<PathBuf>,
    /// The platform's user catalogue folder, read when present (absent is normal).
    pub user_dir: Option<PathBuf>,
}

impl LoadOptions {
    /// The platform's default user catalogue folder plus the given extra folders.
    pub fn with_default_user_dir(extra_dirs: Vec<PathBuf>) -> Self {
        LoadOptions {
            extra_dirs,
            user_dir: default_user_dir(),
        }
    }
}

/// `<data dir>/catalogue`, e.g. `~/.local/share/medatlas/catalogue` on Linux.
pub fn default_user_dir() -> Option<PathBuf> {
    crate::project_dirs().map(|dirs| dirs.data_dir().join("catalogue"))
}

/// The vocabulary compiled into the binary.
pub fn bundled_vocabulary() -> Result<Vocabulary, CatalogueError> {
    let file = BUNDLED
        .get_file(VOCABULARY_FILE)
        .ok_or_else(|| CatalogueError::BundledVocabulary("vocabulary.toml is missing".into()))?;
    parse_vocabulary(&bundled_name(VOCABULARY_FILE), file.contents()).map_err(|problems| {
        CatalogueError::BundledVocabulary(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

fn bundled_name(file: &str) -> String {
    format!("catalogue/{file} (bundled)")
}

/// Parses and checks a vocabulary file.
pub fn parse_vocabulary(file: &str, bytes: &[u8]) -> Result<Vocabulary, Vec<Diagnostic>> {
    let text = validate::decode_text(file, bytes).map_err(|d| vec![d])?;
    let vocab: Vocabulary =
        toml::from_str(text).map_err(|e| vec![validate::toml_error(file, text, &e)])?;
    let mut problems = Vec::new();
    for key in vocab.tiers.keys() {
        if !matches!(key.parse::<u8>(), Ok(1..=9)) {
            problems.push(Diagnostic::file_level(
                file,
                format!("tier key \"{key}\" must be a number from 1 to 9"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(vocab)
    } else {
        Err(problems)
    }
}

/// One file to load: its display name, its bytes and where it came from.
struct EntryFile {
    display: String,
    stem: String,
    bytes: Vec<u8>,
    origin: Origin,
}

/// The text of a bundled entry's file, as shipped (to copy it into a user override).
pub fn bundled_entry_text(id: &str) -> Option<&'static str> {
    BUNDLED
        .get_file(format!("{id}.toml"))
        .and_then(|f| f.contents_utf8())
}

fn bundled_entry_files() -> Vec<EntryFile> {
    let mut files: Vec<EntryFile> = BUNDLED
        .files()
        .filter_map(|f| {
            let name = f.path().file_name()?.to_str()?;
            let stem = name.strip_suffix(".toml")?;
            (name != VOCABULARY_FILE).then(|| EntryFile {
                display: bundled_name(name),
                stem: stem.to_owned(),
                bytes: f.contents().to_vec(),
                origin: Origin::Bundled,
            })
        })
        .collect();
    files.sort_by(|a, b| a.stem.cmp(&b.stem));
    files
}

/// Reads the `*.toml` files of a user folder (not recursive), except a vocabulary file.
fn dir_entry_files(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<EntryFile> {
    let display_dir = dir.display().to_string();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) => {
            problems.push(Diagnostic::file_level(
                display_dir,
                format!("cannot read catalogue folder: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|d| d.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .filter(|p| p.file_name().is_none_or(|n| n != VOCABULARY_FILE))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let display = path.display().to_string();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match read_capped(&path) {
            Ok(bytes) => files.push(EntryFile {
                origin: Origin::User(display.clone()),
                display,
                stem,
                bytes,
            }),
            Err(d) => problems.push(d),
        }
    }
    files
}

/// Reads a file, refusing to load more than the size limit (plus one byte, to detect excess).
fn read_capped(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    let display = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::file_level(&display, format!("cannot open: {e}")))?;
    let mut bytes = Vec::new();
    file.take(validate::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::file_level(&display, format!("cannot read: {e}")))?;
    Ok(bytes)
}

/// Parses files into entries; later files with an id already seen are duplicates unless they
/// override a bundled entry from a user folder.
fn merge_files(
    files: Vec<EntryFile>,
    vocab: &Vocabulary,
    entries: &mut BTreeMap<String, Entry>,
    problems: &mut Vec<Diagnostic>,
) {
    for file in files {
        match validate::parse_entry(&file.display, &file.bytes, &file.stem, vocab) {
            Ok(mut entry) => {
                entry.origin = file.origin;
                match entries.get(&entry.id) {
                    Some(existing) if existing.origin.is_user() || !entry.origin.is_user() => {
                        let other = match &existing.origin {
                            Origin::Bundled => bundled_name(&format!("{}.toml", existing.id)),
                            Origin::User(path) => path.clone(),
                        };
                        problems.push(
                            Diagnostic::file_level(
                                &file.display,
                                format!(
                                    "duplicate id \"{}\": already defined in {other}",
                                    entry.id
                                ),
                            )
                            .with_help("ids must be unique; this file was skipped"),
                        );
                    }
                    _ => {
                        entries.insert(entry.id.clone(), entry);
                    }
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
}

/// Relations whose target is not an entry (of `entries` or `also_known`), and cycles of "derived
/// from" (a dataset cannot be derived, even indirectly, from itself).
fn check_relations(
    entries: &BTreeMap<String, Entry>,
    also_known: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let file = |e: &Entry| match &e.origin {
        Origin::User(path) => path.clone(),
        Origin::Bundled => format!("catalogue/{}.toml", e.id),
    };
    let mut problems = Vec::new();
    for e in entries.values() {
        for (i, r) in e.relations.iter().enumerate() {
            if !entries.contains_key(&r.target) && !also_known.contains(&r.target) {
                let mut d = located(
                    e,
                    file(e),
                    &format!("\"{}\"", r.target),
                    format!("relation target \"{}\" is not in the catalogue", r.target),
                );
                d.field = Some(format!("relations[{i}].target"));
                d.help = validate::closest(&r.target, entries.keys().map(String::as_str))
                    .map(|s| format!("did you mean \"{s}\"?"));
                problems.push(d);
            }
        }
    }
    let derived = |id: &str| -> Vec<&str> {
        entries.get(id).map_or(Vec::new(), |e| {
            e.relations
                .iter()
                .filter(|r| r.kind == "derived-from")
                .map(|r| r.target.as_str())
                .collect()
        })
    };
    // Each cycle once, by its set of members.
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    for start in entries.keys() {
        // Depth-first from `start` along "derived from"; reaching `start` again is a cycle.
        let mut stack: Vec<Vec<&str>> = vec![vec![start.as_str()]];
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        while let Some(path) = stack.pop() {
            for next in derived(path[path.len() - 1]) {
                if next == start {
                    let mut members = path.clone();
                    members.sort_unstable();
                    if reported.insert(members) {
                        let mut cycle = path.clone();
                        cycle.push(start);
                        let message = format!(
                            "\"derived-from\" relations form a cycle: {}",
                            cycle.join(" -> ")
                        );
                        let Some(e) = entries.get(start) else {
                            continue;
                        };
                        let mut d = located(e, file(e), "\"derived-from\"", message);
                        d.field = Some("relations".to_owned());
                        d.help = Some("a dataset cannot be derived from itself".to_owned());
                        problems.push(d);
                    }
                } else if seen.insert(next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
    problems
}

/// A problem about `e`, placed at the first line of its file that contains `needle` (line 0 when
/// the file cannot be read again).
fn located(e: &Entry, file: String, needle: &str, message: String) -> Diagnostic {
    let text = match &e.origin {
        Origin::User(path) => std::fs::read_to_string(path).ok(),
        Origin::Bundled => BUNDLED
            .get_file(format!("{}.toml", e.id))
            .and_then(|f| f.contents_utf8())
            .map(str::to_owned),
    };
    let mut d = Diagnostic::file_level(file, message);
    if let Some((n, line)) = text
        .as_deref()
        .and_then(|t| t.lines().enumerate().find(|(_, l)| l.contains(needle)))
    {
        d.line = n + 1;
        d.column = line[..line.find(needle).unwrap_or(0)].chars().count() + 1;
    }
    d
}

impl Catalogue {
    /// The bundled entries only.
    pub fn bundled() -> Result<Catalogue, CatalogueError> {
        Catalogue::load(&LoadOptions::default())
    }

    /// Bundled entries, then the platform user folder, then each extra folder in order.
    pub fn load(options: &LoadOptions) -> Result<Catalogue, CatalogueError> {
        let vocabulary = bundled_vocabulary()?;
        let mut problems = Vec::new();
        let mut entries = BTreeMap::new();
        let bundled = bundled_entry_files();
        let mut files_read = bundled.len();
        merge_files(bundled, &vocabulary, &mut entries, &mut problems);
        if let Some(dir) = options.user_dir.as_deref().filter(|d| d.is_dir()) {
            let files = dir_entry_files(dir, &mut problems);
            files_read += files.len();
            merge_files(files, &vocabulary, &mut entries, &mut problems);
        }
        for dir in &options.extra_dirs {
            if !dir.is_dir() {
                problems.push(Diagnostic::file_level(
                    dir.display().to_string(),
                    "catalogue folder not found",
                ));
                continue;
            }
            let files = dir_entry_files(dir, &mut problems);
            files_read += files.len();
            merge_files(files, &vocabulary, &mut entries, &mut problems);
        }
        problems.extend(check_relations(&entries, &BTreeSet::new()));
        Ok(Catalogue {
            entries: entries.into_values().collect(),
            vocabulary,
            problems,
            files_read,
        })
    }

    /// Checks a folder on its own, as `medatlas validate DIR` does: its `vocabulary.toml` when it
    /// has one (else the bundled vocabulary), and every entry file in it.
    pub fn validate_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let mut problems = Vec::new();
        let vocab_path = dir.join(VOCABULARY_FILE);
        let mut vocabulary = bundled_vocabulary()?;
        if vocab_path.is_file() {
            match read_capped(&vocab_path).and_then(|bytes| {
                parse_vocabulary(&vocab_path.display().to_string(), &bytes).map_err(|mut p| {
                    let first = p.remove(0);
                    problems.append(&mut p);
                    first
                })
            }) {
                Ok(v) => vocabulary = v,
                Err(d) => problems.push(d),
            }
        }
        if !dir.is_dir() {
            problems.push(Diagnostic::file_level(
                dir.display().to_string(),
                "catalogue folder not found",
            ));
        }
        let files = if dir.is_dir() {
            dir_entry_files(dir, &mut problems)
        } else {
            Vec::new()
        };
        let files_read = files.len();
        let mut entries = BTreeMap::new();
        merge_files(files, &vocabulary, &mut entries, &mut problems);
        // A folder's entries may relate to bundled ones.
        let bundled: BTreeSet<String> = Catalogue::bundled()
            .map(|c| c.entries.into_iter().map(|e| e.id).collect())
            .unwrap_or_default();
        problems.extend(check_relations(&entries, &bundled));
        Ok(Catalogue {
            entries: entries.into_values().collect(),
            vocabulary,
            problems,
            files_read,
        })
    }

    /// The entry with a citation of `doi` (DOIs compare without regard to case).
    pub fn cited_by(&self, doi: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.citations.iter().any(|c| {
                c.doi
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case(doi))
            })
        })
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Ids close to `id`, for "did you mean" on an unknown id.
    pub fn suggest(&self, id: &str) -> Vec<&str> {
        let lower = id.to_lowercase();
        let mut hits: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| {
                e.id.contains(&lower)
                    || e.short_name.to_lowercase() == lower
                    || e.aliases.iter().any(|a| a.to_lowercase() == lower)
            })
            .map(|e| e.id.as_str())
            .collect();
        if hits.is_empty()
            && let Some(best) = validate::closest(id, self.entries.iter().map(|e| e.id.as_str()))
        {
            hits.push(best);
        }
        hits
    }
}
