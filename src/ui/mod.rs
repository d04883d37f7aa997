//! The desktop window (eframe/egui): a thin front end over the core library.
//!
//! `app` holds state and handles commands; each panel draws itself in its own module and returns the
//! commands the user's actions produced.

mod add;
mod app;
mod detail;
mod dialogs;
mod edit;
mod facets;
mod overview;
mod results;
mod shortlists;
mod state;
#[cfg(test)]
mod tests;
mod top_bar;
mod writeup;
mod zotero;

use anyhow::{Context as _, anyhow};
use eframe::egui;

use medatlas::engine::Sources;

pub use app::{App, Deps};
use state::Command;

pub fn run(sources: &Sources) -> anyhow::Result<()> {
    let catalogue = sources.load_catalogue().context("loading the catalogue")?;
    let store = sources.store_location();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("MedAtlas")
            .with_app_id("medatlas")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([1024.0, 640.0]),
        ..Default::default()
    };
    eframe::run_native(
        "MedAtlas",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, Deps::system(catalogue, store))))),
    )
    .map_err(|e| anyhow!("could not open the window: {e}"))
}

/// Draws the whole window; returns the user's commands for `App::handle`.
pub fn draw(app: &mut App, ui: &mut egui::Ui) -> Vec<Command> {
    let mut commands = Vec::new();
    keyboard(app, ui.ctx(), &mut commands);
    egui::Panel::top("top_bar").show(ui, |ui| top_bar::ui(app, ui, &mut commands));
    if !app.notice_dismissed && !app.catalogue.problems.is_empty() {
        egui::Panel::top("notice").show(ui, |ui| dialogs::notice_ui(app, ui, &mut commands));
    }
    egui::Panel::bottom("status_bar").show(ui, |ui| dialogs::status_ui(app, ui));
    egui::Panel::left("facets")
        .resizable(true)
        .default_size(230.0)
        .min_size(170.0)
        .show(ui, |ui| facets::ui(app, ui, &mut commands));
    if app.state.show_detail && app.selected_entry().is_some() {
        egui::Panel::right("detail")
            .resizable(true)
            .default_size(420.0)
            .min_size(300.0)
            .show(ui, |ui| detail::ui(app, ui, &mut commands));
    }
    egui::CentralPanel::default().show(ui, |ui| results::ui(app, ui, &mut commands));
    dialogs::windows_ui(app, ui.ctx(), &mut commands);
    shortlists::window_ui(app, ui.ctx(), &mut commands);
    overview::window_ui(app, ui.ctx(), &mut commands);
    writeup::window_ui(app, ui.ctx(), &mut commands);
    zotero::window_ui(app, ui.ctx(), &mut commands);
    add::window_ui(app, ui.ctx(), &mut commands);
    edit::window_ui(app, ui.ctx(), &mut commands);
    commands
}

/// Keyboard shortcuts: Ctrl+F or / focuses the search box; arrows move through the results;
/// Enter opens the details; Ctrl+Enter opens the homepage; Ctrl+D adds the selected dataset to the
/// active shortlist, or removes it.
fn keyboard(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let typing_elsewhere = ctx.memory(|m| m.focused()).is_some();
    ctx.input_mut(|i| {
        if i.consume_key(egui::Modifiers::COMMAND, egui::Key::F) {
            app.focus_search = true;
        }
        if !typing_elsewhere && i.consume_key(egui::Modifiers::NONE, egui::Key::Slash) {
            app.focus_search = true;
        }
        if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown) {
            commands.push(Command::MoveSelection(1));
        }
        if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp) {
            commands.push(Command::MoveSelection(-1));
        }
        if i.consume_key(egui::Modifiers::COMMAND, egui::Key::D) {
            commands.push(Command::ToggleSelectedShortlisted);
        }
        if i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter) {
            commands.push(Command::OpenSelectedHomepage);
        } else if i.consume_key(egui::Modifiers::NONE, egui::Key::Enter) {
            commands.push(Command::OpenDetail);
        }
    });
}
