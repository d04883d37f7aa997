//! Shortlists in the window: the toggle shown in the results and the detail panel, the Shortlists
//! window (choose, create, rename, delete, reorder, notes, pick datasets to compare) and the Compare
//! window (datasets side by side, rows that differ highlighted, copy as CSV or Markdown).

use eframe::egui;
use medatlas::compare::{MAX_DATASETS, MIN_DATASETS};
use medatlas::shortlist::{ExportFormat, export_text};

use super::app::App;
use super::state::Command;

/// The name the toggles add to: the active shortlist's, or the one a first add creates.
fn target_name(app: &App) -> String {
    app.active_shortlist_name()
        .unwrap_or_else(|| app.shortlists.unused_name("My shortlist"))
}

/// A checkbox: the dataset is in the active shortlist. Ctrl+D does the same for the selected one.
pub fn toggle_ui(
    app: &App,
    ui: &mut egui::Ui,
    id: &str,
    short_name: &str,
    commands: &mut Vec<Command>,
) {
    let mut on = app.is_shortlisted(id);
    let list = target_name(app);
    let label = format!("Shortlist {short_name}");
    let response = ui.add(egui::Checkbox::without_text(&mut on));
    response
        .widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, label.clone()));
    let tip = if on {
        format!("In shortlist \"{list}\": click (or Ctrl+D) to remove it")
    } else {
        format!("Add to shortlist \"{list}\" (Ctrl+D)")
    };
    if response.on_hover_text(tip).changed() {
        commands.push(Command::ToggleShortlisted(id.to_owned()));
    }
}

/// The detail panel's button.
pub fn detail_button_ui(app: &App, ui: &mut egui::Ui, id: &str, commands: &mut Vec<Command>) {
    let list = target_name(app);
    let text = if app.is_shortlisted(id) {
        format!("Remove from \"{list}\"")
    } else {
        format!("Add to \"{list}\"")
    };
    if ui
        .button(text)
        .on_hover_text("The active shortlist is chosen in the Shortlists window (Ctrl+D)")
        .clicked()
    {
        commands.push(Command::ToggleShortlisted(id.to_owned()));
    }
}

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let mut open = app.show_shortlists;
    egui::Window::new("Shortlists")
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| list_ui(app, ui, commands));
    app.show_shortlists = open;
    compare_window_ui(app, ctx, commands);
}

fn list_ui(app: &mut App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    if let Some(problem) = &app.shortlist_problem {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("The shortlists file could not be read, so changes are not saved: {problem}"),
        );
    }
    let active = app.active_shortlist_name();
    ui.horizontal(|ui| {
        let label = ui.label("Shortlist:");
        let mut chosen = active.clone().unwrap_or_default();
        egui::ComboBox::from_id_salt("active_shortlist")
            .selected_text(active.clone().unwrap_or_else(|| "(none yet)".into()))
            .show_ui(ui, |ui| {
                for name in app.shortlists.names() {
                    ui.selectable_value(&mut chosen, name.to_owned(), name);
                }
            })
            .response
            .labelled_by(label.id);
        if Some(&chosen) != active.as_ref() && !chosen.is_empty() {
            commands.push(Command::SetActiveShortlist(chosen));
        }
        if ui.button("New").clicked() {
            commands.push(Command::NewShortlist);
        }
    });
    let Some(name) = active else {
        ui.weak("No shortlist yet: tick a dataset in the results (or press Ctrl+D) to start one.");
        return;
    };
    ui.horizontal(|ui| {
        let label = ui.label("Name:");
        ui.add(egui::TextEdit::singleline(&mut app.shortlist_name_edit).desired_width(220.0))
            .labelled_by(label.id);
        let edited = app.shortlist_name_edit.trim().to_owned();
        if ui
            .add_enabled(
                !edited.is_empty() && edited != name,
                egui::Button::new("Rename"),
            )
            .clicked()
        {
            commands.push(Command::RenameShortlist(edited));
        }
        if ui
            .button("Delete")
            .on_hover_text("Delete this shortlist (the previous file is kept as a backup)")
            .clicked()
        {
            commands.push(Command::DeleteActiveShortlist);
        }
    });
    let Some(list) = app.shortlists.get(&name).cloned() else {
        return;
    };
    ui.separator();
    if list.items.is_empty() {
        ui.weak("Empty: tick datasets in the results, or press Ctrl+D on the selected one.");
    }
    egui::ScrollArea::vertical()
        .max_height(360.0)
        .show(ui, |ui| {
            for (i, item) in list.items.iter().enumerate() {
                let entry = app.catalogue.get(&item.id);
                let short = entry.map_or(item.id.as_str(), |e| e.short_name.as_str());
                ui.horizontal(|ui| {
                    let mut picked = app.compare_picks.contains(&item.id);
                    let pick = ui.add(egui::Checkbox::without_text(&mut picked));
                    let name = format!("Compare {short}");
                    pick.widget_info(|| {
                        egui::WidgetInfo::selected(egui::Role::CheckBox, true, picked, name.clone())
                    });
                    if pick
                        .on_hover_text("Tick the datasets to compare (none ticked: all)")
                        .changed()
                    {
                        if picked {
                            app.compare_picks.insert(item.id.clone());
                        } else {
                            app.compare_picks.remove(&item.id);
                        }
                    }
                    if entry.is_some() {
                        if ui.link(short).clicked() {
                            commands.push(Command::Select(item.id.clone()));
                        }
                    } else {
                        ui.weak(format!("{} (not in the catalogue)", item.id));
                    }
                    if ui
                        .add_enabled(i > 0, egui::Button::new("Up").small())
                        .clicked()
                    {
                        commands.push(Command::MoveShortlisted(item.id.clone(), -1));
                    }
                    if ui
                        .add_enabled(i + 1 < list.items.len(), egui::Button::new("Down").small())
                        .clicked()
                    {
                        commands.push(Command::MoveShortlisted(item.id.clone(), 1));
                    }
                    if ui.small_button("Remove").clicked() {
                        commands.push(Command::ToggleShortlisted(item.id.clone()));
                    }
                });
                let id = egui::Id::unique(("shortlist_note", &name, &item.id));
                let mut note = ui
                    .data(|d| d.get_temp::<String>(id))
                    .unwrap_or_else(|| item.note.clone().unwrap_or_default());
                let response = ui.add(
                    egui::TextEdit::singleline(&mut note)
                        .hint_text("Note: release, version or subset used")
                        .desired_width(f32::INFINITY),
                );
                if response.changed() {
                    ui.data_mut(|d| d.insert_temp(id, note.clone()));
                }
                if response.lost_focus() && note != item.note.clone().unwrap_or_default() {
                    commands.push(Command::SetShortlistNote(item.id.clone(), note));
                    ui.data_mut(|d| d.remove::<String>(id));
                }
                ui.add_space(2.0);
            }
        });
    ui.separator();
    let known: Vec<String> = list
        .items
        .iter()
        .filter(|i| app.catalogue.get(&i.id).is_some())
        .map(|i| i.id.clone())
        .collect();
    let picked: Vec<String> = known
        .iter()
        .filter(|id| app.compare_picks.contains(*id))
        .cloned()
        .collect();
    // Nothing ticked: the whole list, when it is small enough.
    let to_compare = if picked.is_empty() { known } else { picked };
    ui.horizontal_wrapped(|ui| {
        let ok = (MIN_DATASETS..=MAX_DATASETS).contains(&to_compare.len());
        if ui
            .add_enabled(
                ok,
                egui::Button::new(format!("Compare {}", to_compare.len())),
            )
            .on_disabled_hover_text(format!(
                "Tick {MIN_DATASETS} to {MAX_DATASETS} datasets to compare them"
            ))
            .clicked()
        {
            commands.push(Command::Compare(to_compare.clone()));
        }
        if ui
            .add_enabled(!list.items.is_empty(), egui::Button::new("Send to Zotero"))
            .on_hover_text("Save the citations of this shortlist in Zotero, tagged with its name")
            .clicked()
        {
            commands.push(Command::SendToZotero {
                ids: list.items.iter().map(|i| i.id.clone()).collect(),
                title: format!("Shortlist \"{}\"", list.name),
                tag: Some(list.name.clone()),
            });
        }
        if ui
            .add_enabled(!list.items.is_empty(), egui::Button::new("Write-up kit"))
            .on_hover_text("References, acknowledgements, data availability and terms for a paper")
            .clicked()
        {
            commands.push(Command::OpenWriteup);
        }
        for (label, format) in [
            ("Copy as TOML", ExportFormat::Toml),
            ("Copy as JSON", ExportFormat::Json),
        ] {
            if ui
                .button(label)
                .on_hover_text("Paste into a file to share it: `medatlas shortlist import FILE`")
                .clicked()
            {
                commands.push(Command::Copy {
                    text: export_text(&list, format),
                    what: format!("Shortlist \"{}\"", list.name),
                });
            }
        }
    });
}

fn compare_window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let Some(comparison) = app.comparison.clone() else {
        return;
    };
    let mut open = true;
    egui::Window::new("Compare")
        .open(&mut open)
        .default_width(900.0)
        .default_height(560.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.weak("Rows that differ are highlighted.");
                if ui.button("Copy CSV").clicked() {
                    commands.push(Command::Copy {
                        text: comparison.to_csv(),
                        what: "Comparison (CSV)".into(),
                    });
                }
                if ui.button("Copy Markdown").clicked() {
                    commands.push(Command::Copy {
                        text: comparison.to_markdown(),
                        what: "Comparison (Markdown)".into(),
                    });
                }
            });
            ui.separator();
            // The label column takes about 190 points, and every column 12 of spacing.
            let n = comparison.ids.len() as f32;
            let column_width = ((ui.available_width() - 190.0 - 12.0 * n) / n).max(120.0);
            egui::ScrollArea::both().show(ui, |ui| {
                egui::Grid::new("compare_grid")
                    .striped(true)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        ui.label("");
                        for name in &comparison.names {
                            ui.strong(name);
                        }
                        ui.end_row();
                        for row in &comparison.rows {
                            let highlight = ui.visuals().warn_fg_color;
                            if row.differs {
                                ui.label(
                                    egui::RichText::new(format!("{} (differs)", row.label))
                                        .strong()
                                        .color(highlight),
                                );
                            } else {
                                ui.label(row.label);
                            }
                            for value in &row.values {
                                ui.vertical(|ui| {
                                    ui.set_width(column_width);
                                    ui.add(egui::Label::new(value.as_str()).wrap());
                                });
                            }
                            ui.end_row();
                        }
                    });
            });
        });
    if !open {
        app.comparison = None;
    }
}
