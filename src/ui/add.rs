//! The Add dataset window: a DOI (fetched in the background) or a pasted BibTeX entry becomes a
//! draft entry shown as a form (name, id, the suggested facet values to keep, one or two queries a
//! colleague would type), checked by the catalogue's validator with each problem shown next to its
//! field, then saved as `<id>.toml` in the user catalogue folder, indexed at once and selected; the
//! queries join the user's `queries.tsv`, and the window shows where the new entry ranks for each.

use eframe::egui;
use medatlas::catalogue::Vocabulary;
use medatlas::catalogue::diagnostic::Diagnostic;
use medatlas::catalogue::draft::{self, Suggestion};
use medatlas::doi::{DoiClient, FetchOptions, Record};
use poll_promise::Promise;

use super::app::App;
use super::state::Command;

/// A record and the facet values it suggests.
pub type Prepared = (Record, Vec<Suggestion>);

/// A query and the new entry's rank for it (1-based; `None` beyond the first 50).
pub type QueryRank = (String, Option<usize>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Input {
    #[default]
    Doi,
    Bibtex,
}

#[derive(Default)]
pub struct AddDialog {
    pub input: Input,
    pub doi: String,
    pub bibtex: String,
    pub fetching: Option<Promise<Result<Prepared, String>>>,
    pub record: Option<Record>,
    pub name: String,
    pub id: String,
    /// Each suggested value and whether it is kept.
    pub suggestions: Vec<(Suggestion, bool)>,
    pub queries: [String; 2],
    /// Values the user added from the vocabulary, per facet of `edit::FACETS`.
    pub chosen: Vec<Vec<String>>,
    /// The validator's problems with the draft, shown next to their fields.
    pub problems: Vec<Diagnostic>,
    /// A fetch or save failure, in words.
    pub error: Option<String>,
    /// After saving: the id written, and each query with the new entry's rank (1-based).
    pub saved: Option<(String, Vec<QueryRank>)>,
}

impl AddDialog {
    /// Starts fetching the DOI in the background, with the suggestions.
    pub fn fetch(&mut self, ctx: &egui::Context, options: FetchOptions, vocab: Vocabulary) {
        let doi = self.doi.trim().to_owned();
        self.start(ctx, move || {
            let record = DoiClient::new(options)
                .and_then(|client| client.fetch(&doi))
                .map_err(|e| e.to_string())?;
            Ok(prepare(record, &vocab))
        });
    }

    /// Reads the pasted BibTeX entry, and makes the suggestions, in the background.
    pub fn read_bibtex(&mut self, ctx: &egui::Context, vocab: Vocabulary) {
        let text = self.bibtex.clone();
        self.start(ctx, move || {
            let record = Record::from_bibtex(&text, "BibTeX entry pasted in the window")
                .map_err(|e| e.to_string())?;
            Ok(prepare(record, &vocab))
        });
    }

    fn start(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce() -> Result<Prepared, String> + Send + 'static,
    ) {
        let ctx = ctx.clone();
        self.error = None;
        self.fetching = Some(Promise::spawn_thread("medatlas-add", move || {
            let result = work();
            ctx.request_repaint();
            result
        }));
    }

    /// Shows a fetched or read record and its suggestions as the draft's form.
    pub fn take(&mut self, record: Record, suggestions: Vec<Suggestion>) {
        self.name = draft::name_from_title(&record.title).unwrap_or_default();
        self.id = draft::slug(&self.name);
        self.suggestions = suggestions.into_iter().map(|s| (s, true)).collect();
        self.record = Some(record);
        self.error = None;
        self.problems.clear();
    }

    fn poll(&mut self) {
        let ready = self.fetching.as_ref().and_then(|p| p.ready().cloned());
        if let Some(result) = ready {
            self.fetching = None;
            match result {
                Ok((record, suggestions)) => self.take(record, suggestions),
                Err(e) => self.error = Some(e),
            }
        }
    }

    /// The problems about `field` (its first path segment).
    fn problems_of(&self, field: &str) -> Vec<String> {
        self.problems
            .iter()
            .filter(|p| {
                p.field.as_deref().is_some_and(|f| {
                    f == field
                        || f.starts_with(&format!("{field}."))
                        || f.starts_with(&format!("{field}["))
                })
            })
            .map(|p| p.message.clone())
            .collect()
    }
}

/// The record and its suggestions (see `draft::suggest_all`).
fn prepare(record: Record, vocab: &Vocabulary) -> Prepared {
    let (suggestions, warning) = draft::suggest_all(&record.suggestion_text(), vocab);
    if let Some(warning) = warning {
        tracing::warn!("{warning}");
    }
    (record, suggestions)
}

fn field_problems(ui: &mut egui::Ui, problems: &[String]) {
    for p in problems {
        ui.colored_label(ui.visuals().error_fg_color, p.as_str());
    }
}

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let vocab = app.catalogue.vocabulary.clone();
    let options = app.doi_options.clone();
    let Some(dialog) = &mut app.add else { return };
    dialog.poll();
    let mut open = true;
    egui::Window::new("Add dataset")
        .open(&mut open)
        .default_width(620.0)
        .show(ctx, |ui| {
            if let Some((id, ranks)) = &dialog.saved {
                ui.label(format!(
                    "Saved as {id}.toml in your catalogue folder, as a draft."
                ));
                for (query, rank) in ranks {
                    match rank {
                        Some(r) => ui.label(format!("\"{query}\": ranks {r}")),
                        None => ui.label(format!("\"{query}\": not in the first 50")),
                    };
                }
                return;
            }
            ui.horizontal(|ui| {
                ui.selectable_value(&mut dialog.input, Input::Doi, "From a DOI");
                ui.selectable_value(&mut dialog.input, Input::Bibtex, "From BibTeX");
            });
            match dialog.input {
                Input::Doi => {
                    ui.horizontal(|ui| {
                        let label = ui.label("DOI:");
                        ui.add(
                            egui::TextEdit::singleline(&mut dialog.doi)
                                .hint_text("10.1234/… or https://doi.org/10.1234/…")
                                .desired_width(360.0),
                        )
                        .labelled_by(label.id);
                        let busy = dialog.fetching.is_some();
                        if ui
                            .add_enabled(
                                !busy && !dialog.doi.trim().is_empty(),
                                egui::Button::new("Fetch"),
                            )
                            .clicked()
                        {
                            dialog.fetch(ctx, options.clone(), vocab.clone());
                        }
                        if busy {
                            ui.spinner();
                        }
                    });
                }
                Input::Bibtex => {
                    let label = ui.label("One BibTeX entry:");
                    ui.add(
                        egui::TextEdit::multiline(&mut dialog.bibtex)
                            .desired_rows(5)
                            .desired_width(f32::INFINITY)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(label.id);
                    let busy = dialog.fetching.is_some();
                    ui.horizontal(|ui| {
                        if ui.add_enabled(!busy, egui::Button::new("Read")).clicked() {
                            dialog.read_bibtex(ctx, vocab.clone());
                        }
                        if busy {
                            ui.spinner();
                        }
                    });
                }
            }
            if let Some(error) = &dialog.error {
                ui.colored_label(ui.visuals().error_fg_color, error.as_str());
            }
            let Some(record) = &dialog.record else { return };
            ui.separator();
            ui.label(format!("Paper: {}", record.title));
            egui::Grid::new("add_form").num_columns(2).show(ui, |ui| {
                let label = ui.label("Dataset name:");
                ui.vertical(|ui| {
                    ui.add(egui::TextEdit::singleline(&mut dialog.name).desired_width(360.0))
                        .labelled_by(label.id);
                    field_problems(ui, &dialog.problems_of("name"));
                });
                ui.end_row();
                let label = ui.label("Id:");
                ui.vertical(|ui| {
                    ui.add(egui::TextEdit::singleline(&mut dialog.id).desired_width(360.0))
                        .labelled_by(label.id);
                    field_problems(ui, &dialog.problems_of("id"));
                });
                ui.end_row();
            });
            ui.label(
                "Suggested from the title and abstract (unverified until you confirm the entry):",
            );
            if dialog.suggestions.is_empty() {
                ui.weak("none found");
            }
            ui.horizontal_wrapped(|ui| {
                for (s, keep) in &mut dialog.suggestions {
                    let label = format!("{}: {}", s.vocab.noun(), vocab.label(s.vocab, &s.value));
                    ui.checkbox(keep, label)
                        .on_hover_text(format!("found \"{}\"", s.matched));
                }
            });
            ui.label("Add values from the vocabulary:");
            if dialog.chosen.len() != super::edit::FACETS.len() {
                dialog.chosen = vec![Vec::new(); super::edit::FACETS.len()];
            }
            egui::Grid::new("add_pickers")
                .num_columns(2)
                .show(ui, |ui| {
                    for (i, (name, _)) in super::edit::FACETS.iter().enumerate() {
                        let label = ui.label(format!("{}:", name.noun()));
                        super::edit::facet_values_ui(
                            ui,
                            &vocab,
                            *name,
                            label.id,
                            &mut dialog.chosen[i],
                            ("add_pick", i),
                        );
                        ui.end_row();
                    }
                });
            ui.label("Queries a colleague would type to find it (saved to your queries.tsv):");
            for (i, q) in dialog.queries.iter_mut().enumerate() {
                let label = ui.label(format!("Query {}:", i + 1));
                ui.add(egui::TextEdit::singleline(q).desired_width(420.0))
                    .labelled_by(label.id);
            }
            let other: Vec<String> = dialog
                .problems
                .iter()
                .filter(|p| {
                    !p.field
                        .as_deref()
                        .is_some_and(|f| f.starts_with("name") || f.starts_with("id"))
                })
                .map(|p| p.to_string())
                .collect();
            field_problems(ui, &other);
            if ui
                .add_enabled(
                    !dialog.name.trim().is_empty() && !dialog.id.trim().is_empty(),
                    egui::Button::new("Save draft"),
                )
                .clicked()
            {
                commands.push(Command::SaveDraft);
            }
        });
    if !open {
        app.add = None;
    }
}
