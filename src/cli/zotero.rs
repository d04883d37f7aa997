//! `medatlas zotero ID...|--shortlist NAME`: every citation of the given datasets saved into the
//! user's running Zotero, in a chosen collection, tagged `medatlas` (and the shortlist's name).
//!
//! Zotero's address is `MEDATLAS_ZOTERO_URL` when set (the tests point it at a stand-in), else
//! its connector server on `127.0.0.1:23119`. What was sent is recorded in `zotero-sent.json` in
//! the user data folder; a citation already sent to the same collection is skipped unless
//! `--again`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use medatlas::catalogue::{Catalogue, Entry};
use medatlas::zotero::{
    self, Collections, ItemOptions, Ping, SentFile, Target, ZoteroClient, ZoteroError,
};
use serde_json::json;

/// The exit code when Zotero cannot be reached (not running, or not answering).
pub const EXIT_UNREACHABLE: u8 = 3;

/// What to send and where.
pub struct Request<'a> {
    pub ids: &'a [String],
    pub shortlist: Option<&'a str>,
    pub collection: Option<&'a str>,
    pub again: bool,
    pub json: bool,
}

/// One citation to send.
struct Pick<'a> {
    entry: &'a Entry,
    index: usize,
}

/// Where Zotero listens: `MEDATLAS_ZOTERO_URL`, else Zotero's default port on this machine.
fn base_url() -> String {
    std::env::var("MEDATLAS_ZOTERO_URL")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| zotero::DEFAULT_BASE_URL.to_owned())
}

fn record_file() -> anyhow::Result<SentFile> {
    SentFile::default_location().context("this platform has no user data folder")
}

/// The datasets named on the command line or in the shortlist, in that order.
fn entries<'a>(catalogue: &'a Catalogue, request: &Request<'_>) -> anyhow::Result<Vec<&'a Entry>> {
    let ids: Vec<String> = match request.shortlist {
        Some(name) => {
            if !request.ids.is_empty() {
                bail!("give dataset ids or --shortlist, not both");
            }
            let lists = super::shortlists::file()?.load()?;
            let list = lists
                .get(name)
                .ok_or_else(|| medatlas::shortlist::ShortlistError::NoSuchList(name.to_owned()))?;
            let unknown = list.unknown_ids(|id| catalogue.get(id).is_some());
            if !unknown.is_empty() {
                eprintln!(
                    "warning: shortlist \"{name}\" lists id(s) the catalogue does not have, not sent: {}",
                    unknown.join(", ")
                );
            }
            list.ids()
                .into_iter()
                .filter(|id| catalogue.get(id).is_some())
                .map(str::to_owned)
                .collect()
        }
        None if request.ids.is_empty() => bail!("give dataset ids or --shortlist NAME"),
        None => request.ids.to_vec(),
    };
    ids.iter()
        .map(|id| {
            catalogue.get(id).ok_or_else(|| {
                let suggestions = catalogue.suggest(id);
                if suggestions.is_empty() {
                    anyhow::anyhow!("no dataset with id \"{id}\"")
                } else {
                    anyhow::anyhow!(
                        "no dataset with id \"{id}\"; did you mean {}?",
                        suggestions.join(", ")
                    )
                }
            })
        })
        .collect()
}

fn describe(t: &Target) -> String {
    format!("{} ({})", t.name, t.id)
}

/// The collection the user named (by id or name), else the one selected in Zotero.
fn choose_target(collections: &Collections, wanted: Option<&str>) -> anyhow::Result<Target> {
    let Some(wanted) = wanted else {
        return Ok(collections
            .get(&collections.selected)
            .cloned()
            .unwrap_or_else(|| Target {
                id: collections.selected.clone(),
                name: collections.selected_name.clone(),
                level: 0,
                files_editable: true,
                recent: false,
            }));
    };
    let found = collections.find(wanted);
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let all: Vec<String> = collections.targets.iter().map(describe).collect();
            bail!(
                "Zotero has no collection \"{wanted}\"; the collections are: {}",
                if all.is_empty() {
                    "(none)".to_owned()
                } else {
                    all.join(", ")
                }
            )
        }
        several => {
            let all: Vec<String> = several.iter().map(|t| describe(t)).collect();
            bail!(
                "several Zotero collections are named \"{wanted}\": {}; give its id instead, e.g. \
                 --collection {}",
                all.join(", "),
                several[0].id
            )
        }
    }
}

/// Prints why Zotero could not be reached and what to do instead.
fn not_reachable(e: &ZoteroError, entries: &[&Entry], base: &str) -> ExitCode {
    eprintln!("error: {e} (looked at {base})");
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    eprintln!(
        "    help: `medatlas cite {} --format ris > citations.ris` writes a file Zotero imports \
         (File → Import)",
        ids.join(" ")
    );
    ExitCode::from(EXIT_UNREACHABLE)
}

pub fn send(
    out: &mut impl Write,
    catalogue: &Catalogue,
    request: &Request<'_>,
) -> anyhow::Result<ExitCode> {
    let entries = entries(catalogue, request)?;
    let mut picks = Vec::new();
    let mut uncited = Vec::new();
    for &entry in &entries {
        if entry.citations.is_empty() {
            uncited.push(entry.id.clone());
            let reason = entry.no_citation.as_deref().unwrap_or("no reason given");
            eprintln!(
                "note: {} has no known paper or data DOI ({reason}); the resource itself is sent, as a web page",
                entry.id
            );
        }
        // An entry without citations is sent as the resource itself (one item).
        picks.extend((0..entry.citations.len().max(1)).map(|index| Pick { entry, index }));
    }

    let base = base_url();
    let client = ZoteroClient::new(&base)?;
    let version = match client.ping() {
        Ok(Ping::Running { version }) => version,
        Ok(Ping::NotRunning) => {
            return Ok(not_reachable(&ZoteroError::NotRunning, &entries, &base));
        }
        Err(e) if e.is_unreachable() => return Ok(not_reachable(&e, &entries, &base)),
        Err(e) => return Err(e.into()),
    };
    let collections = match client.collections() {
        Ok(c) => c,
        Err(e) if e.is_unreachable() => return Ok(not_reachable(&e, &entries, &base)),
        Err(e) => return Err(e.into()),
    };
    let target = choose_target(&collections, request.collection)?;

    // A broken record is reported and left alone: sending still works, without the check for
    // what was sent before, and the record is not updated.
    let file = record_file()?;
    let mut record = match file.load() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!(
                "warning: {e}; MedAtlas cannot tell what was sent before and will not record this sending"
            );
            None
        }
    };

    let mut skipped = Vec::new();
    let mut to_send = Vec::new();
    for pick in picks {
        let previous = record
            .as_ref()
            .and_then(|r| r.find(&pick.entry.id, pick.index, &target.id));
        match previous {
            Some(p) if !request.again => {
                eprintln!(
                    "skipped: {} citation {} was sent to \"{}\" on {} (--again sends it anyway)",
                    pick.entry.id,
                    pick.index + 1,
                    target.name,
                    p.date
                );
                skipped.push(json!({
                    "entry": pick.entry.id, "citation": pick.index, "sent": p.date,
                }));
            }
            _ => to_send.push(pick),
        }
    }

    let mut tags = vec![zotero::TAG.to_owned()];
    if let Some(name) = request.shortlist {
        tags.push(name.trim().to_owned());
    }
    let options = ItemOptions::for_version(version.as_deref());
    let items: Vec<serde_json::Value> = to_send
        .iter()
        .filter_map(|p| zotero::item(p.entry, p.index, options))
        .collect();

    if !items.is_empty() {
        let session = zotero::new_session_id();
        let uri = to_send
            .first()
            .map_or(String::new(), |p| p.entry.homepage.clone());
        match client.save_items(&items, &session, &uri) {
            Ok(()) => {}
            Err(e) if e.is_unreachable() => return Ok(not_reachable(&e, &entries, &base)),
            Err(e) => return Err(e.into()),
        }
        // Saved where Zotero's selection is; moving and tagging is a second step that can fail
        // on its own, and then the user must know where the items are.
        if let Err(e) = client.update_session(&session, &target.id, &tags) {
            return Err(anyhow::Error::new(e).context(format!(
                "the items were saved in \"{}\" but could not be moved to \"{}\" or tagged",
                collections.selected_name, target.name
            )));
        }
        if let Some(record) = record.as_mut() {
            for p in &to_send {
                record.record(&p.entry.id, p.index, &target);
            }
            if let Err(e) = file.save(record) {
                eprintln!("warning: the items are in Zotero, but the record was not saved: {e}");
            }
        }
    }

    if request.json {
        let sent: Vec<serde_json::Value> = to_send
            .iter()
            .zip(&items)
            .map(|(p, item)| {
                json!({
                    "entry": p.entry.id,
                    "citation": p.index,
                    "item_type": item["itemType"],
                    "title": item["title"],
                })
            })
            .collect();
        let report = json!({
            "zotero_version": version,
            "collection": { "id": target.id, "name": target.name },
            "tags": tags,
            "sent": sent,
            "skipped": skipped,
            "uncited": uncited,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else if items.is_empty() {
        writeln!(out, "Nothing sent to Zotero.")?;
    } else {
        writeln!(
            out,
            "Sent {} citation(s) to Zotero{}: collection \"{}\", tags {}.",
            items.len(),
            version.map(|v| format!(" {v}")).unwrap_or_default(),
            target.name,
            tags.join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
