//! The Edit entry window, for the user's own entries: name, summary, the facet values (chosen from
//! the vocabulary) and confirming a draft. Saving rewrites only the fields changed, keeping the
//! file's comments and order (`catalogue::edit`), checks the result with the validator (problems are
//! shown, nothing is written until it is valid) and indexes it at once. A bundled entry is first
//! copied, as shipped, into the user catalogue folder: the copy overrides it from then on.

use std::path::PathBuf;

use eframe::egui;
use medatlas::catalogue::diagnostic::Diagnostic;
use medatlas::catalogue::{Entry, VocabName};

use super::app::App;
use super::state::Command;

/// The facets the window edits, with their field names.
pub const FACETS: [(VocabName, &str); 4] = [
    (VocabName::Modalities, "modalities"),
    (VocabName::BodyParts, "body_parts"),
    (VocabName::Species, "species"),
    (VocabName::Tasks, "tasks"),
];

pub struct EditDialog {
    pub id: String,
    pub path: PathBuf,
    pub name: String,
    pub summary: String,
    /// The values of each facet of `FACETS`, in order.
    pub facets: Vec<Vec<String>>,
    pub draft: bool,
    /// Confirm the draft when saving (removes `draft = true`).
    pub confirm: bool,
    pub problems: Vec<Diagnostic>,
    pub error: Option<String>,
}

impl EditDialog {
    pub fn of(entry: &Entry, path: PathBuf) -> Self {
        let facets = FACETS
            .iter()
            .map(|(_, field)| match *field {
                "modalities" => entry.modalities.clone(),
                "body_parts" => entry.body_parts.clone(),
                "species" => entry.species.clone(),
                _ => entry.tasks.clone(),
            })
            .collect();
        EditDialog {
            id: entry.id.clone(),
            path,
            name: entry.name.clone(),
            summary: entry.summary.clone(),
            facets,
            draft: entry.draft,
            confirm: false,
            problems: Vec::new(),
            error: None,
        }
    }
}

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let vocab = app.catalogue.vocabulary.clone();
    let Some(dialog) = &mut app.edit else { return };
    let mut open = true;
    egui::Window::new(format!("Edit {}", dialog.id))
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.weak(format!("{}", dialog.path.display()));
            egui::Grid::new("edit_form").num_columns(2).show(ui, |ui| {
                let label = ui.label("Name:");
                ui.add(egui::TextEdit::singleline(&mut dialog.name).desired_width(380.0))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Summary:");
                ui.add(
                    egui::TextEdit::multiline(&mut dialog.summary)
                        .desired_rows(2)
                        .desired_width(380.0),
                )
                .labelled_by(label.id);
                ui.end_row();
                for (i, (name, _)) in FACETS.iter().enumerate() {
                    let label = ui.label(format!("{}:", name.noun()));
                    facet_values_ui(
                        ui,
                        &vocab,
                        *name,
                        label.id,
                        &mut dialog.facets[i],
                        ("edit_add", i),
                    );
                    ui.end_row();
                }
            });
            if dialog.draft {
                ui.checkbox(
                    &mut dialog.confirm,
                    "Confirmed: I checked this entry (it is no longer a draft)",
                );
            }
            for p in &dialog.problems {
                ui.colored_label(ui.visuals().error_fg_color, p.to_string());
            }
            if let Some(e) = &dialog.error {
                ui.colored_label(ui.visuals().error_fg_color, e.as_str());
            }
            if ui.button("Save changes").clicked() {
                commands.push(Command::SaveEdit);
            }
        });
    if !open {
        app.edit = None;
    }
}

/// A facet's values as removable chips, and a picker that adds any other value of the vocabulary.
pub fn facet_values_ui(
    ui: &mut egui::Ui,
    vocab: &medatlas::catalogue::Vocabulary,
    name: VocabName,
    label: egui::Id,
    values: &mut Vec<String>,
    salt: impl std::hash::Hash + std::fmt::Debug,
) {
    ui.horizontal_wrapped(|ui| {
        let mut remove = None;
        for (j, v) in values.iter().enumerate() {
            if ui
                .small_button(format!("{} ×", vocab.label(name, v)))
                .on_hover_text("Remove")
                .clicked()
            {
                remove = Some(j);
            }
        }
        if let Some(j) = remove {
            values.remove(j);
        }
        let mut added: Option<String> = None;
        egui::ComboBox::from_id_salt(salt)
            .selected_text("Add…")
            .show_ui(ui, |ui| {
                for (key, term) in vocab.terms(name) {
                    if !values.contains(key) && ui.selectable_label(false, &term.label).clicked() {
                        added = Some(key.clone());
                    }
                }
            })
            .response
            .labelled_by(label)
            .on_hover_text(format!("Add a {} value", name.noun()));
        if let Some(key) = added {
            values.push(key);
        }
    });
}
