//! `medatlas shortlist ...` and `medatlas compare ...`: the user's shortlists file edited from the
//! command line, and datasets side by side.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use medatlas::catalogue::Catalogue;
use medatlas::compare::Comparison;
use medatlas::shortlist::{self, ExportFormat, ShortlistFile, Shortlists};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum ShortlistCommand {
    /// Create an empty shortlist.
    New { name: String },
    /// Add datasets to a shortlist (created if it does not exist), optionally with a note.
    Add {
        name: String,
        #[arg(required = true)]
        ids: Vec<String>,
        /// A note for the added datasets, e.g. which release or subset was used.
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove datasets from a shortlist.
    Remove {
        name: String,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Set (or, with an empty text, clear) the note of one dataset in a shortlist.
    Note {
        name: String,
        id: String,
        note: String,
    },
    /// Move a dataset to a position (1 = first) in its shortlist.
    Move {
        name: String,
        id: String,
        position: usize,
    },
    /// Rename a shortlist.
    Rename { from: String, to: String },
    /// Delete a shortlist.
    Delete { name: String },
    /// List the shortlists.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one shortlist with its datasets and notes.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Write one shortlist to a .toml or .json file to share it.
    Export { name: String, file: PathBuf },
    /// Read a shortlist from a .toml or .json file (ids the catalogue lacks are kept and reported).
    Import {
        file: PathBuf,
        /// Import under this name instead of the file's.
        #[arg(long = "as", value_name = "NAME")]
        rename: Option<String>,
    },
}

/// Where the shortlists live: `MEDATLAS_SHORTLISTS` if set (a file path), else the user data folder.
pub fn file() -> anyhow::Result<ShortlistFile> {
    if let Some(path) = std::env::var_os("MEDATLAS_SHORTLISTS") {
        return Ok(ShortlistFile::new(PathBuf::from(path)));
    }
    ShortlistFile::default_location().context("this platform has no user data folder")
}

fn report_unknown(catalogue: &Catalogue, list: &shortlist::Shortlist) {
    let unknown = list.unknown_ids(|id| catalogue.get(id).is_some());
    if !unknown.is_empty() {
        eprintln!(
            "warning: shortlist \"{}\" keeps {} id(s) the catalogue does not have: {}",
            list.name,
            unknown.len(),
            unknown.join(", ")
        );
    }
}

/// The items of a saved shortlist whose ids the catalogue has (the others are reported).
fn shortlist_items(catalogue: &Catalogue, name: &str) -> anyhow::Result<Vec<shortlist::Item>> {
    let lists = file()?.load()?;
    let list = lists
        .get(name)
        .ok_or_else(|| shortlist::ShortlistError::NoSuchList(name.to_owned()))?;
    report_unknown(catalogue, list);
    Ok(list
        .items
        .iter()
        .filter(|i| catalogue.get(&i.id).is_some())
        .cloned()
        .collect())
}

fn list_json(catalogue: &Catalogue, list: &shortlist::Shortlist) -> serde_json::Value {
    json!({
        "name": list.name,
        "items": list.items.iter().map(|i| json!({
            "id": i.id,
            "note": i.note,
            "name": catalogue.get(&i.id).map(|e| e.name.clone()),
            "in_catalogue": catalogue.get(&i.id).is_some(),
        })).collect::<Vec<_>>(),
    })
}

pub fn run(
    out: &mut impl Write,
    catalogue: &Catalogue,
    command: ShortlistCommand,
) -> anyhow::Result<()> {
    let file = file()?;
    let mut lists: Shortlists = file.load()?;
    let check_ids = |ids: &[String]| -> anyhow::Result<()> {
        for id in ids {
            if catalogue.get(id).is_none() {
                let hint = catalogue.suggest(id);
                if hint.is_empty() {
                    bail!("unknown dataset id \"{id}\"");
                }
                bail!(
                    "unknown dataset id \"{id}\"; did you mean {}?",
                    hint.join(", ")
                );
            }
        }
        Ok(())
    };
    let mut changed = true;
    match command {
        ShortlistCommand::New { name } => {
            lists.create(&name)?;
            writeln!(out, "created shortlist \"{}\"", name.trim())?;
        }
        ShortlistCommand::Add { name, ids, note } => {
            check_ids(&ids)?;
            if lists.get(&name).is_none() {
                lists.create(&name)?;
            }
            for id in &ids {
                let added = lists.add(&name, id, note.as_deref())?;
                let what = if added { "added" } else { "already in" };
                writeln!(out, "{what} \"{name}\": {id}")?;
            }
        }
        ShortlistCommand::Remove { name, ids } => {
            for id in &ids {
                lists.remove(&name, id)?;
                writeln!(out, "removed from \"{name}\": {id}")?;
            }
        }
        ShortlistCommand::Note { name, id, note } => {
            lists.set_note(&name, &id, &note)?;
        }
        ShortlistCommand::Move { name, id, position } => {
            if position == 0 {
                bail!("positions start at 1");
            }
            lists.move_item(&name, &id, position - 1)?;
        }
        ShortlistCommand::Rename { from, to } => {
            lists.rename(&from, &to)?;
            writeln!(out, "renamed \"{from}\" to \"{}\"", to.trim())?;
        }
        ShortlistCommand::Delete { name } => {
            let gone = lists.delete(&name)?;
            writeln!(
                out,
                "deleted shortlist \"{}\" ({} datasets)",
                gone.name,
                gone.items.len()
            )?;
        }
        ShortlistCommand::List { json } => {
            changed = false;
            if json {
                let all: Vec<_> = lists
                    .lists
                    .iter()
                    .map(|l| json!({"name": l.name, "count": l.items.len()}))
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
            } else if lists.lists.is_empty() {
                writeln!(out, "no shortlists yet (medatlas shortlist new NAME)")?;
            } else {
                for l in &lists.lists {
                    writeln!(out, "{} ({} datasets)", l.name, l.items.len())?;
                }
            }
        }
        ShortlistCommand::Show { name, json } => {
            changed = false;
            let list = lists
                .get(&name)
                .ok_or_else(|| shortlist::ShortlistError::NoSuchList(name.clone()))?;
            report_unknown(catalogue, list);
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&list_json(catalogue, list))?
                )?;
            } else {
                writeln!(out, "{} ({} datasets)", list.name, list.items.len())?;
                for (n, item) in list.items.iter().enumerate() {
                    let name = catalogue
                        .get(&item.id)
                        .map_or("(not in the catalogue)", |e| e.name.as_str());
                    write!(out, "{:>3}. {}  {name}", n + 1, item.id)?;
                    if let Some(note) = &item.note {
                        write!(out, "  — {note}")?;
                    }
                    writeln!(out)?;
                }
            }
        }
        ShortlistCommand::Export { name, file: target } => {
            changed = false;
            let list = lists
                .get(&name)
                .ok_or_else(|| shortlist::ShortlistError::NoSuchList(name.clone()))?;
            let format = ExportFormat::of(&target)?;
            shortlist::write_atomically(&target, shortlist::export_text(list, format).as_bytes())?;
            writeln!(
                out,
                "wrote \"{}\" ({} datasets) to {}",
                list.name,
                list.items.len(),
                target.display()
            )?;
        }
        ShortlistCommand::Import {
            file: source,
            rename,
        } => {
            let mut list = shortlist::import_file(&source)?;
            if let Some(name) = rename {
                list.name = name;
            }
            report_unknown(catalogue, &list);
            let (name, count) = (list.name.clone(), list.items.len());
            lists.insert(list)?;
            writeln!(out, "imported \"{name}\" ({count} datasets)")?;
        }
    }
    if changed {
        file.save(&lists)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

/// `medatlas compare`: the ids given, or a shortlist's datasets.
pub fn compare(
    out: &mut impl Write,
    catalogue: &Catalogue,
    ids: Vec<String>,
    shortlist_name: Option<String>,
    format: CompareFormat,
) -> anyhow::Result<()> {
    let ids = match shortlist_name {
        Some(name) => {
            if !ids.is_empty() {
                bail!("give dataset ids or --shortlist, not both");
            }
            shortlist_items(catalogue, &name)?
                .into_iter()
                .map(|i| i.id)
                .collect()
        }
        None => ids,
    };
    let comparison = Comparison::of(catalogue, &ids)?;
    match format {
        CompareFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&comparison)?)?,
        CompareFormat::Csv => write!(out, "{}", comparison.to_csv())?,
        CompareFormat::Markdown => write!(out, "{}", comparison.to_markdown())?,
        CompareFormat::Table => {
            let width = comparison
                .rows
                .iter()
                .map(|r| r.label.chars().count())
                .max()
                .unwrap_or(0);
            writeln!(out, "{:width$}   {}", "", comparison.names.join(" | "))?;
            for row in &comparison.rows {
                let mark = if row.differs { "≠" } else { " " };
                writeln!(
                    out,
                    "{mark} {:width$}  {}",
                    row.label,
                    row.values.join(" | ")
                )?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WriteupFormat {
    Markdown,
    Text,
    Json,
}

/// `medatlas writeup`: the kit for a shortlist (its notes become the "release used" lines) or ids.
pub fn writeup(
    out: &mut impl Write,
    catalogue: &Catalogue,
    targets: Vec<String>,
    shortlist_name: Option<String>,
    style: medatlas::cite::Format,
    format: WriteupFormat,
) -> anyhow::Result<()> {
    use medatlas::writeup::{Item, Kit};
    // One argument that is a shortlist's name and not a dataset id: that shortlist.
    let shortlist_name = match (shortlist_name, targets.as_slice()) {
        (Some(name), []) => Some(name),
        (Some(_), _) => bail!("give dataset ids or --shortlist, not both"),
        (None, [one]) if catalogue.get(one).is_none() => Some(one.clone()),
        (None, _) => None,
    };
    let items: Vec<Item> = match shortlist_name {
        Some(name) => shortlist_items(catalogue, &name)?
            .into_iter()
            .map(|i| Item {
                id: i.id,
                note: i.note,
            })
            .collect(),
        None => targets
            .into_iter()
            .map(|id| Item { id, note: None })
            .collect(),
    };
    let citer = medatlas::cite::Citer::new(catalogue);
    let kit = Kit::build(catalogue, &citer, &items, style)?;
    match format {
        WriteupFormat::Markdown => write!(out, "{}", kit.to_markdown())?,
        WriteupFormat::Text => write!(out, "{}", kit.to_text())?,
        WriteupFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&kit)?)?,
    }
    Ok(())
}
