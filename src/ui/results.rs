//! The centre: active filter chips and the results table (sortable, keyboard navigable).

use eframe::egui;
use egui_extras::{Column, TableBuilder};
use medatlas::catalogue::VocabName;
use medatlas::catalogue::entry::group_thousands;

use super::app::App;
use super::state::{Command, SortColumn};

pub fn ui(app: &mut App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    chips_ui(app, ui, commands);
    if let Some(error) = &app.engine_error {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("Search is unavailable: {error}"),
        );
        return;
    }
    let Some(results) = &app.results else { return };
    if !results.notes.is_empty() {
        // Search notes use arrows ("mri → Magnetic resonance"); the bundled fonts lack that glyph.
        ui.weak(format!(
            "Also searched: {}",
            results.notes.join("; ").replace('→', "->")
        ));
    }
    if app.rows.is_empty() {
        ui.add_space(20.0);
        ui.vertical_centered(|ui| {
            ui.label("No dataset matches. Try fewer words or clear the filters.");
        });
        return;
    }
    let selected_index = app
        .state
        .selected
        .as_ref()
        .and_then(|s| app.rows.iter().position(|r| r == s));
    let vocab = &app.catalogue.vocabulary;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) * 2.6;
    let mut table = TableBuilder::new(ui)
        .id_salt("results")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(22.0))
        .column(Column::remainder().at_least(200.0).clip(true))
        .column(Column::initial(95.0).at_least(50.0).clip(true))
        .column(Column::initial(85.0).at_least(50.0).clip(true))
        .column(Column::initial(85.0).at_least(50.0).clip(true))
        .column(Column::initial(36.0).at_least(30.0))
        // Wide enough for "10,239 subjects" beside the detail panel.
        .column(Column::initial(105.0).at_least(50.0).clip(true));
    if app.scroll_to_selected
        && let Some(i) = selected_index
    {
        table = table.scroll_to_row(i, None);
        app.scroll_to_selected = false;
    }
    let sort = app.state.sort;
    let header =
        |ui: &mut egui::Ui, label: &str, column: SortColumn, commands: &mut Vec<Command>| {
            let arrow = match sort {
                Some((c, true)) if c == column => " (asc)",
                Some((c, false)) if c == column => " (desc)",
                _ => "",
            };
            if ui
                .add(
                    egui::Button::new(egui::RichText::new(format!("{label}{arrow}")).strong())
                        .frame(false),
                )
                .on_hover_text(
                    "Sort by this column (click again to reverse, a third time for relevance)",
                )
                .clicked()
            {
                commands.push(Command::SortBy(column));
            }
        };
    table
        .header(22.0, |mut row| {
            row.col(|ui| {
                ui.label("")
                    .on_hover_text("In the active shortlist (Ctrl+D)");
            });
            row.col(|ui| header(ui, "Name", SortColumn::Name, commands));
            row.col(|ui| header(ui, "Modalities", SortColumn::Modalities, commands));
            row.col(|ui| header(ui, "Body part", SortColumn::BodyParts, commands));
            row.col(|ui| header(ui, "Access", SortColumn::Access, commands));
            row.col(|ui| header(ui, "Tier", SortColumn::Tier, commands));
            row.col(|ui| header(ui, "Size", SortColumn::Size, commands));
        })
        .body(|body| {
            body.rows(row_height, app.rows.len(), |mut row| {
                let index = row.index();
                let id = &app.rows[index];
                let Some(entry) = app.catalogue.get(id) else {
                    return;
                };
                row.set_selected(Some(index) == selected_index);
                let why = results
                    .results
                    .iter()
                    .find(|h| &h.id == id)
                    .map(|h| h.why.summary())
                    .unwrap_or_default();
                row.col(|ui| {
                    super::shortlists::toggle_ui(app, ui, id, &entry.short_name, commands)
                });
                row.col(|ui| {
                    ui.vertical(|ui| {
                        let name = if entry.draft {
                            format!("{} (draft)", entry.name)
                        } else {
                            entry.name.clone()
                        };
                        ui.add(egui::Label::new(egui::RichText::new(name).strong()).truncate());
                        let sub = if why.is_empty() {
                            entry.summary.clone()
                        } else {
                            why.clone()
                        };
                        ui.add(
                            egui::Label::new(egui::RichText::new(sub).small().weak()).truncate(),
                        );
                    });
                });
                row.col(|ui| {
                    let short: Vec<&str> = entry
                        .modalities
                        .iter()
                        .map(|m| vocab.short_label(VocabName::Modalities, m))
                        .collect();
                    ui.add(egui::Label::new(short.join(", ")).truncate())
                        .on_hover_text(labels(vocab, VocabName::Modalities, &entry.modalities));
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(labels(vocab, VocabName::BodyParts, &entry.body_parts))
                            .truncate(),
                    );
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(vocab.label(VocabName::AccessLevels, &entry.access.level))
                            .truncate(),
                    );
                });
                row.col(|ui| {
                    ui.label(entry.tier.map_or("–".to_owned(), |t| t.to_string()));
                });
                row.col(|ui| size_ui(ui, entry));
                if row.response().clicked() {
                    commands.push(Command::Select(id.clone()));
                }
                if row.response().double_clicked() {
                    commands.push(Command::OpenSelectedHomepage);
                }
            });
        });
}

/// One comparable figure with its unit; every figure and the size note on hover.
fn size_ui(ui: &mut egui::Ui, entry: &medatlas::catalogue::Entry) {
    let Some(size) = &entry.size else {
        ui.label("–");
        return;
    };
    let shown = size.headline().map_or("–".to_owned(), |(n, unit)| {
        format!("{} {}", group_thousands(n), unit.plural())
    });
    let mut hover = size.summary();
    if let Some(note) = &size.note {
        if !hover.is_empty() {
            hover.push('\n');
        }
        hover.push_str(&format!("Note: {note}"));
    }
    let label = ui.add(egui::Label::new(shown).truncate());
    if !hover.is_empty() {
        label.on_hover_text(hover);
    }
}

fn chips_ui(app: &App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    if app.state.selection.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Filters:");
        for (facet, value) in app.state.selection.pairs() {
            let label = app.catalogue.vocabulary.label(facet.vocab(), value);
            let label = if value == "none" { "No tier" } else { label };
            if ui
                .button(format!("{}: {label} ×", facet.label()))
                .on_hover_text("Remove this filter")
                .clicked()
            {
                commands.push(Command::ToggleFacet(facet, value.to_owned()));
            }
        }
        if ui.link("Clear all").clicked() {
            commands.push(Command::ClearFilters);
        }
    });
    ui.add_space(2.0);
}

pub fn labels(vocab: &medatlas::catalogue::Vocabulary, name: VocabName, keys: &[String]) -> String {
    keys.iter()
        .map(|k| vocab.label(name, k))
        .collect::<Vec<_>>()
        .join(", ")
}
