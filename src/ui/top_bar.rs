//! The top bar: search box, result count, search mode and the menu.

use eframe::egui;
use medatlas::search::Mode;

use super::app::App;
use super::state::Command;

pub fn ui(app: &mut App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("MedAtlas");
        ui.add_space(8.0);
        let label = ui.label("Search");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut app.state.query)
                    .hint_text("datasets, modalities, diseases…  (Ctrl+F)")
                    .desired_width(
                        ui.available_width().min(520.0) - 330.0_f32.min(ui.available_width() * 0.4),
                    ),
            )
            .labelled_by(label.id);
        if app.focus_search {
            response.request_focus();
            app.focus_search = false;
        }
        if !app.state.query.is_empty()
            && ui
                .small_button("×")
                .on_hover_text("Clear the search")
                .clicked()
        {
            app.state.query.clear();
        }
        let count = app.results.as_ref().map_or(0, |r| r.total);
        ui.label(format!(
            "{count} of {} datasets",
            app.catalogue.entries.len()
        ));
        ui.separator();
        for mode in Mode::ALL {
            let label = match mode {
                Mode::Hybrid => "Hybrid",
                Mode::Keyword => "Keyword",
                Mode::Semantic => "Semantic",
            };
            if ui
                .selectable_label(app.state.mode == mode, label)
                .on_hover_text(match mode {
                    Mode::Hybrid => "Meaning and exact words together (recommended)",
                    Mode::Keyword => "Exact words only",
                    Mode::Semantic => "Meaning only",
                })
                .clicked()
            {
                commands.push(Command::SetMode(mode));
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.menu_button("Menu", |ui| {
                if ui
                    .button("Add dataset…")
                    .on_hover_text("Draft an entry from a paper's DOI or a BibTeX entry")
                    .clicked()
                {
                    commands.push(Command::OpenAdd);
                    ui.close();
                }
                if ui.button("Shortlists…").clicked() {
                    app.show_shortlists = true;
                    ui.close();
                }
                if ui.button("Overview…").clicked() {
                    app.show_overview = true;
                    ui.close();
                }
                if ui
                    .add_enabled(!app.rows.is_empty(), egui::Button::new("Send results to Zotero…"))
                    .on_hover_text("Save the citations of the results shown in Zotero")
                    .clicked()
                {
                    commands.push(Command::SendToZotero {
                        ids: app.rows.clone(),
                        title: format!("{} results", app.rows.len()),
                        tag: None,
                    });
                    ui.close();
                }
                if ui.button("Preferences…").clicked() {
                    app.show_preferences = true;
                    ui.close();
                }
                if ui
                    .add_enabled(app.link_check.is_none(), egui::Button::new("Check links"))
                    .on_hover_text("Check the links of the results shown, in the background")
                    .clicked()
                {
                    commands.push(Command::CheckLinks);
                    ui.close();
                }
                if ui.button("Catalogue information…").clicked() {
                    app.show_info = true;
                    ui.close();
                }
                if ui.button("About MedAtlas…").clicked() {
                    app.show_about = true;
                    ui.close();
                }
            });
            let count = app
                .active_shortlist_name()
                .and_then(|n| app.shortlists.get(&n).map(|l| l.items.len()))
                .unwrap_or(0);
            if ui
                .selectable_label(app.show_shortlists, format!("Shortlist ({count})"))
                .on_hover_text("Your shortlists: notes, order, compare, share (Ctrl+D adds the selected dataset)")
                .clicked()
            {
                app.show_shortlists = !app.show_shortlists;
            }
            if ui
                .selectable_label(app.show_overview, "Overview")
                .on_hover_text("Charts of the current results; click a bar to filter")
                .clicked()
            {
                app.show_overview = !app.show_overview;
            }
            if let Some(check) = &app.link_check {
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop checking links")
                    .clicked()
                {
                    commands.push(Command::CancelLinkCheck);
                }
                let done = check.done.load(std::sync::atomic::Ordering::Relaxed);
                let total = check.total.load(std::sync::atomic::Ordering::Relaxed);
                let fraction = if total == 0 {
                    0.0
                } else {
                    done as f32 / total as f32
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(160.0)
                        .text(format!("links {done}/{total}")),
                );
            }
            if let Some((done, total)) = app.indexing_progress() {
                let fraction = if total == 0 {
                    1.0
                } else {
                    done as f32 / total as f32
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(140.0)
                        .text(format!("indexing {done}/{total}")),
                )
                .on_hover_text("Preparing semantic search; keyword search works meanwhile");
            } else if !app.semantic_ready() && app.state.mode != Mode::Keyword {
                ui.weak("keyword results only");
            }
        });
    });
    ui.add_space(4.0);
}
