//! The catalogue-problems notice, the status bar, and the Preferences / Catalogue / About windows.

use eframe::egui;
use medatlas::cite::Format;

use super::app::App;
use super::state::{Command, KeySource, Theme};

pub fn notice_ui(app: &App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    let problems = &app.catalogue.problems;
    ui.horizontal(|ui| {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{} problem(s) in catalogue files; the valid entries are loaded.",
                problems.len()
            ),
        );
        if ui.button("Dismiss").clicked() {
            commands.push(Command::DismissNotice);
        }
    });
    for p in problems.iter().take(4) {
        ui.weak(format!("{}: {}", p.location(), p.message));
    }
    if problems.len() > 4 {
        ui.weak(format!(
            "… and {} more (Menu > Catalogue information)",
            problems.len() - 4
        ));
    }
}

pub fn status_ui(app: &App, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        match app.status_text() {
            Some(text) => {
                ui.label(text);
            }
            None => {
                ui.weak("For research and education; cite the original sources.");
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if let Some(results) = &app.results {
                ui.weak(format!(
                    "{} mode · {:.1} ms",
                    results.mode.key(),
                    results.took_ms
                ));
            }
            let model = app.model().unwrap_or("keyword search only");
            match &app.embedder_note {
                Some(note) => {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("Model: {model} (fallback)"),
                    )
                    .on_hover_text(note);
                }
                None => {
                    ui.weak(format!("Model: {model}"));
                }
            }
        });
    });
}

/// Preferences: which embedder semantic search uses. The key is read from an environment variable
/// or a private file when a session starts, never kept in the app's state.
fn embedder_ui(app: &mut App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    ui.strong("Semantic search");
    let prefs = &mut app.state.embedder;
    ui.horizontal(|ui| {
        ui.radio_value(&mut prefs.remote, false, "Embedded model (offline)");
        ui.radio_value(
            &mut prefs.remote,
            true,
            "Remote service (OpenAI-compatible)",
        );
    });
    if prefs.remote {
        egui::Grid::new("remote_embedder")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, value, hint) in [
                    ("Address", &mut prefs.endpoint, "http://localhost:8080"),
                    ("Model", &mut prefs.model, "text-embedding-3-small"),
                    ("Dimension", &mut prefs.dimension, "learnt from the service"),
                ] {
                    let label = ui.label(label);
                    ui.add(egui::TextEdit::singleline(value).hint_text(hint))
                        .labelled_by(label.id);
                    ui.end_row();
                }
                ui.label("API key");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut prefs.key_source, KeySource::None, "none");
                    ui.radio_value(
                        &mut prefs.key_source,
                        KeySource::Environment,
                        "environment variable",
                    );
                    ui.radio_value(&mut prefs.key_source, KeySource::File, "file");
                });
                ui.end_row();
                match prefs.key_source {
                    KeySource::None => {}
                    KeySource::Environment => {
                        let label = ui.label("Variable");
                        ui.text_edit_singleline(&mut prefs.key_variable)
                            .labelled_by(label.id);
                        ui.end_row();
                    }
                    KeySource::File => {
                        let label = ui.label("Key file");
                        ui.add(
                            egui::TextEdit::singleline(&mut prefs.key_file)
                                .hint_text("private to you (chmod 600)"),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    }
                }
            });
    }
    ui.horizontal(|ui| {
        if prefs.remote && ui.button("Test").clicked() {
            commands.push(Command::TestEmbedder);
        }
        if ui
            .button("Apply")
            .on_hover_text("Start a new search session with this embedder")
            .clicked()
        {
            commands.push(Command::ApplyEmbedder);
        }
    });
    match &app.embedder_test_result {
        Some(Ok(message)) => {
            ui.label(format!("Test: {message}"));
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Test failed: {why}"));
        }
        None => {}
    }
}

pub fn windows_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let mut open = app.show_preferences;
    egui::Window::new("Preferences")
        .open(&mut open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.strong("Theme");
            let before = app.state.theme;
            ui.horizontal(|ui| {
                ui.radio_value(&mut app.state.theme, Theme::System, "Follow the system");
                ui.radio_value(&mut app.state.theme, Theme::Light, "Light");
                ui.radio_value(&mut app.state.theme, Theme::Dark, "Dark");
            });
            if before != app.state.theme {
                app.apply_theme(ctx);
            }
            ui.add_space(6.0);
            ui.strong("Citation format");
            let mut format = app.state.citation_format;
            ui.horizontal(|ui| {
                for f in Format::ALL {
                    ui.radio_value(&mut format, f, f.label());
                }
            });
            if format != app.state.citation_format {
                commands.push(Command::SetFormat(format));
            }
            ui.add_space(6.0);
            ui.strong("Text size");
            ui.horizontal(|ui| {
                for (label, zoom) in [("100%", 1.0), ("125%", 1.25), ("150%", 1.5), ("200%", 2.0)] {
                    if ui
                        .selectable_label((ctx.zoom_factor() - zoom).abs() < 0.01, label)
                        .clicked()
                    {
                        ctx.set_zoom_factor(zoom);
                    }
                }
            });
            ui.add_space(6.0);
            embedder_ui(app, ui, commands);
            ui.add_space(6.0);
            ui.strong("Adding datasets by DOI");
            ui.horizontal(|ui| {
                let label = ui.label("Contact e-mail:");
                ui.add(
                    egui::TextEdit::singleline(&mut app.contact_edit)
                        .hint_text("given to Crossref and DataCite with each request")
                        .desired_width(260.0),
                )
                .labelled_by(label.id);
                if ui.button("Save address").clicked() {
                    commands.push(Command::SaveContact(app.contact_edit.clone()));
                }
            });
        });
    app.show_preferences = open;

    let mut open = app.show_info;
    egui::Window::new("Catalogue information")
        .open(&mut open)
        .default_width(520.0)
        .show(ctx, |ui| {
            let c = &app.catalogue;
            let user = c.entries.iter().filter(|e| e.origin.is_user()).count();
            let sources: usize = c.entries.iter().map(|e| e.sources.len()).sum();
            let with_doi = c.entries.iter().filter(|e| e.has_verified_doi()).count();
            let unverified = c
                .entries
                .iter()
                .filter(|e| e.has_unverified_fields())
                .count();
            egui::Grid::new("info").num_columns(2).show(ui, |ui| {
                ui.label("Entries");
                ui.label(format!(
                    "{} ({} bundled, {user} yours)",
                    c.entries.len(),
                    c.entries.len() - user
                ));
                ui.end_row();
                ui.label("Sources cited");
                ui.label(sources.to_string());
                ui.end_row();
                ui.label("Entries with a DOI");
                ui.label(with_doi.to_string());
                ui.end_row();
                ui.label("Entries with unverified fields");
                ui.label(unverified.to_string());
                ui.end_row();
                ui.label("Semantic index");
                ui.label(match app.indexing_progress() {
                    Some((done, total)) => format!("indexing {done}/{total}"),
                    None if app.semantic_ready() => "ready".to_owned(),
                    None => "not available (keyword search only)".to_owned(),
                });
                ui.end_row();
            });
            ui.add_space(6.0);
            ui.strong(format!("Problems ({})", c.problems.len()));
            egui::ScrollArea::vertical()
                .max_height(240.0)
                .show(ui, |ui| {
                    for p in &c.problems {
                        ui.label(p.to_string());
                    }
                });
        });
    app.show_info = open;

    let mut open = app.show_about;
    egui::Window::new("About MedAtlas")
        .open(&mut open)
        .resizable(false)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.heading(format!("MedAtlas {}", medatlas::VERSION));
            ui.label("A knowledge browser for medical imaging datasets.");
            ui.add_space(6.0);
            ui.strong("For research and education; cite the original sources.");
            ui.label(
                "Each catalogue entry lists the sources its facts come from, and marks what could not \
                 be verified. Check each dataset's own licence and usage terms before use.",
            );
            ui.add_space(6.0);
            ui.strong("Licences and attribution");
            ui.label(
                "Semantic search uses sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), shipped \
                 converted to float16; see assets/model/NOTICE. Built with egui/eframe, SQLite and \
                 sqlite-vec, candle and tokenizers.",
            );
        });
    app.show_about = open;
}
