//! Send to Zotero from the window: one dataset (detail panel), the results shown (Menu) or a
//! shortlist. A small window connects to the running Zotero in the background, lets the user pick
//! the library or collection, says which citations were already sent there (and sends them again
//! only when asked), then saves in batches with progress, all off the UI thread (poll-promise).
//! When Zotero is not running it says so once and offers the RIS text to copy instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eframe::egui;
use medatlas::catalogue::Entry;
use medatlas::cite::Format;
use medatlas::zotero::{self, Collections, ItemOptions, Ping, SentFile, ZoteroClient, ZoteroError};
use poll_promise::Promise;

use super::app::App;
use super::state::Command;

/// Items saved per request: small batches show progress and keep each save short.
const BATCH: usize = 10;

/// What to send: citations of datasets (entry id, citation index), a title and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub title: String,
    pub picks: Vec<(String, usize)>,
    pub tags: Vec<String>,
}

impl Request {
    /// Every citation of `entries` (an entry without any: the resource itself), tagged `medatlas`
    /// and `extra_tag` (a shortlist's name).
    pub fn of(entries: &[&Entry], title: String, extra_tag: Option<String>) -> Request {
        let picks = entries
            .iter()
            .flat_map(|e| (0..e.citations.len().max(1)).map(move |i| (e.id.clone(), i)))
            .collect();
        let mut tags = vec![zotero::TAG.to_owned()];
        tags.extend(extra_tag);
        Request { title, picks, tags }
    }
}

pub enum Stage {
    Connecting(Promise<Result<(Option<String>, Collections), ZoteroError>>),
    Choose {
        version: Option<String>,
        collections: Collections,
        target: String,
        again: bool,
    },
    Sending {
        promise: Promise<Result<(usize, String), String>>,
        done: Arc<AtomicUsize>,
        total: usize,
    },
    /// What happened, in words.
    Finished(Result<String, String>),
    /// Zotero could not be reached: why, and the copy path.
    Unreachable(String),
}

pub struct Job {
    pub request: Request,
    pub stage: Stage,
}

/// The window's Zotero state: where Zotero listens, the record of what was sent, the job shown.
pub struct ZoteroPanel {
    pub base_url: String,
    pub sent_file: Option<SentFile>,
    pub job: Option<Job>,
}

impl ZoteroPanel {
    pub fn new(base_url: String, sent_file: Option<SentFile>) -> Self {
        ZoteroPanel {
            base_url,
            sent_file,
            job: None,
        }
    }

    /// Starts a job: connects in the background (ping, then the list of collections).
    pub fn start(&mut self, ctx: &egui::Context, request: Request) {
        let base = self.base_url.clone();
        let ctx = ctx.clone();
        let promise = Promise::spawn_thread("medatlas-zotero-connect", move || {
            let result = (|| {
                let client = ZoteroClient::new(&base)?;
                let version = match client.ping()? {
                    Ping::Running { version } => version,
                    Ping::NotRunning => return Err(ZoteroError::NotRunning),
                };
                Ok((version, client.collections()?))
            })();
            ctx.request_repaint();
            result
        });
        self.job = Some(Job {
            request,
            stage: Stage::Connecting(promise),
        });
    }

    /// The stage's name, for tests.
    #[cfg(test)]
    pub fn stage_name(&self) -> Option<&'static str> {
        self.job.as_ref().map(|j| match j.stage {
            Stage::Connecting(_) => "connecting",
            Stage::Choose { .. } => "choose",
            Stage::Sending { .. } => "sending",
            Stage::Finished(Ok(_)) => "sent",
            Stage::Finished(Err(_)) => "failed",
            Stage::Unreachable(_) => "unreachable",
        })
    }

    /// Moves a finished background step on to the next stage.
    fn poll(&mut self) {
        let Some(job) = &mut self.job else { return };
        let next = match &mut job.stage {
            Stage::Connecting(promise) => match promise.ready() {
                None => None,
                Some(Ok((version, collections))) => Some(Stage::Choose {
                    version: version.clone(),
                    target: collections.selected.clone(),
                    collections: collections.clone(),
                    again: false,
                }),
                Some(Err(e)) if e.is_unreachable() => Some(Stage::Unreachable(e.to_string())),
                Some(Err(e)) => Some(Stage::Finished(Err(e.to_string()))),
            },
            Stage::Sending { promise, .. } => promise.ready().map(|r| {
                Stage::Finished(
                    r.as_ref()
                        .map(|(n, name)| {
                            format!(
                                "Saved {n} item(s) in \"{name}\", tagged {}",
                                job.request.tags.join(", ")
                            )
                        })
                        .map_err(Clone::clone),
                )
            }),
            _ => None,
        };
        if let Some(next) = next {
            job.stage = next;
        }
    }
}

/// The citations of the job already sent to `target`, from the record (none when it is unreadable).
fn already_sent(panel: &ZoteroPanel, target: &str) -> Vec<(String, usize)> {
    let Some(job) = &panel.job else {
        return Vec::new();
    };
    let Some(record) = panel.sent_file.as_ref().and_then(|f| f.load().ok()) else {
        return Vec::new();
    };
    job.request
        .picks
        .iter()
        .filter(|(id, i)| record.find(id, *i, target).is_some())
        .cloned()
        .collect()
}

/// Sends `picks` into `target` in the background, in batches, recording each batch sent.
fn send(
    app: &mut App,
    ctx: &egui::Context,
    version: Option<String>,
    collections: &Collections,
    target: &str,
    picks: Vec<(String, usize)>,
) {
    let options = ItemOptions::for_version(version.as_deref());
    let items: Vec<(String, usize, serde_json::Value)> = picks
        .into_iter()
        .filter_map(|(id, i)| {
            let entry = app.catalogue.get(&id)?;
            zotero::item(entry, i, options).map(|item| (id, i, item))
        })
        .collect();
    let Some(target) = collections.get(target).cloned() else {
        return;
    };
    let Some(job) = &mut app.zotero.job else {
        return;
    };
    let tags = job.request.tags.clone();
    let uri = items
        .first()
        .and_then(|(id, _, _)| app.catalogue.get(id))
        .map(|e| e.homepage.clone())
        .unwrap_or_default();
    let (base, file) = (app.zotero.base_url.clone(), app.zotero.sent_file.clone());
    let done = Arc::new(AtomicUsize::new(0));
    let total = items.len();
    let (counter, ctx) = (done.clone(), ctx.clone());
    let promise = Promise::spawn_thread("medatlas-zotero-send", move || {
        let result = (|| {
            let client = ZoteroClient::new(&base).map_err(|e| e.to_string())?;
            for batch in items.chunks(BATCH) {
                let session = zotero::new_session_id();
                let json: Vec<serde_json::Value> =
                    batch.iter().map(|(_, _, v)| v.clone()).collect();
                client
                    .save_items(&json, &session, &uri)
                    .map_err(|e| e.to_string())?;
                client
                    .update_session(&session, &target.id, &tags)
                    .map_err(|e| {
                        format!(
                            "saved where Zotero's selection is, but not moved to \"{}\": {e}",
                            target.name
                        )
                    })?;
                if let Some(file) = &file
                    && let Ok(mut record) = file.load()
                {
                    for (id, i, _) in batch {
                        record.record(id, *i, &target);
                    }
                    if let Err(e) = file.save(&record) {
                        tracing::warn!("the record of what was sent to Zotero was not saved: {e}");
                    }
                }
                counter.fetch_add(batch.len(), Ordering::Relaxed);
                ctx.request_repaint();
            }
            Ok((total, target.name.clone()))
        })();
        ctx.request_repaint();
        result
    });
    job.stage = Stage::Sending {
        promise,
        done,
        total,
    };
}

/// What the user chose to send: Zotero's version, its collections, the target and the citations.
type SendChoice = (Option<String>, Collections, String, Vec<(String, usize)>);

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    app.zotero.poll();
    let Some(job) = &app.zotero.job else { return };
    let title = job.request.title.clone();
    let count = job.request.picks.len();
    let mut open = true;
    let mut action: Option<SendChoice> = None;
    egui::Window::new("Send to Zotero")
        .open(&mut open)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.label(format!("{title}: {count} citation(s)"));
            ui.separator();
            let sent_before = match &app.zotero.job.as_ref().map(|j| &j.stage) {
                Some(Stage::Choose { target, .. }) => already_sent(&app.zotero, target),
                _ => Vec::new(),
            };
            let Some(job) = &mut app.zotero.job else { return };
            match &mut job.stage {
                Stage::Connecting(_) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Connecting to Zotero…");
                    });
                }
                Stage::Choose {
                    version,
                    collections,
                    target,
                    again,
                } => {
                    ui.horizontal(|ui| {
                        let label = ui.label("Save into:");
                        let shown = collections
                            .get(target)
                            .map_or(target.clone(), |t| t.name.clone());
                        egui::ComboBox::from_id_salt("zotero_target")
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                for t in &collections.targets {
                                    ui.horizontal(|ui| {
                                        ui.add_space(12.0 * t.level as f32);
                                        ui.selectable_value(target, t.id.clone(), &t.name);
                                    });
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    });
                    ui.weak(format!("Tags: {}", job.request.tags.join(", ")));
                    if let Some(v) = version {
                        ui.weak(format!("Zotero {v}"));
                    }
                    if !sent_before.is_empty() {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!(
                                "{} of these citations were sent to this collection before.",
                                sent_before.len()
                            ),
                        );
                        ui.checkbox(again, "Send them again");
                    }
                    let picks: Vec<(String, usize)> = job
                        .request
                        .picks
                        .iter()
                        .filter(|p| *again || !sent_before.contains(p))
                        .cloned()
                        .collect();
                    if ui
                        .add_enabled(!picks.is_empty(), egui::Button::new(format!("Send {}", picks.len())))
                        .clicked()
                    {
                        action = Some((version.clone(), collections.clone(), target.clone(), picks));
                    }
                }
                Stage::Sending { done, total, .. } => {
                    let done = done.load(Ordering::Relaxed);
                    ui.add(
                        egui::ProgressBar::new(done as f32 / (*total).max(1) as f32)
                            .text(format!("Sending {done} of {total}…")),
                    );
                }
                Stage::Finished(Ok(message)) => {
                    ui.label(message.as_str());
                }
                Stage::Finished(Err(message)) => {
                    ui.colored_label(ui.visuals().error_fg_color, message.as_str());
                }
                Stage::Unreachable(why) => {
                    ui.colored_label(ui.visuals().error_fg_color, why.as_str());
                    ui.label("Zotero imports RIS files (File > Import), or paste into Zotero from the clipboard.");
                    if ui.button("Copy as RIS").clicked() {
                        let ids: Vec<String> = job.request.picks.iter().map(|(id, _)| id.clone()).collect();
                        let mut entries: Vec<&Entry> = Vec::new();
                        for id in &ids {
                            if let Some(e) = app.catalogue.get(id)
                                && !entries.iter().any(|x| x.id == e.id)
                            {
                                entries.push(e);
                            }
                        }
                        commands.push(Command::Copy {
                            text: app.citer.document(&entries, Format::Ris).text,
                            what: "Citations (RIS)".into(),
                        });
                    }
                }
            }
        });
    if let Some((version, collections, target, picks)) = action {
        send(app, ctx, version, &collections, &target, picks);
    }
    if !open {
        app.zotero.job = None;
    }
}
