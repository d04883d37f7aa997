//! The detail panel: summary, characteristics, links and citations of the selected entry.

use eframe::egui;
use medatlas::catalogue::Entry;
use medatlas::cite::Format;

use super::app::App;
use super::state::Command;

/// "ok", "broken: 404 …", with when it was checked; "not checked" when never checked.
fn health_ui(app: &App, ui: &mut egui::Ui, url: &str) {
    match app.link_results.get(url) {
        None => {
            ui.weak("not checked");
        }
        Some(r) => {
            let color = match r.status {
                medatlas::links::LinkStatus::Ok => ui.visuals().weak_text_color(),
                medatlas::links::LinkStatus::Redirected => ui.visuals().warn_fg_color,
                _ => ui.visuals().error_fg_color,
            };
            ui.colored_label(color, r.badge())
                .on_hover_text(format!("last checked {}", ago(r.checked_at)));
        }
    }
}

/// "3 min ago", "2 days ago".
pub fn ago(unix_seconds: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let secs = (now - unix_seconds).max(0);
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86400),
    }
}

pub fn ui(app: &App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    let Some(e) = app.selected_entry() else {
        return;
    };
    let vocab = &app.catalogue.vocabulary;
    ui.horizontal(|ui| {
        ui.heading(&e.short_name);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("×").on_hover_text("Close the details").clicked() {
                commands.push(Command::CloseDetail);
            }
        });
    });
    ui.strong(&e.name);
    ui.horizontal(|ui| {
        super::shortlists::detail_button_ui(app, ui, &e.id, commands);
        let edit = if e.origin.is_user() {
            "Edit"
        } else {
            "Copy to my catalogue and edit"
        };
        if ui
            .button(edit)
            .on_hover_text("Change name, summary and facets; a bundled entry is copied into your catalogue folder first")
            .clicked()
        {
            commands.push(Command::OpenEdit(e.id.clone()));
        }
        if ui
            .button("Send to Zotero")
            .on_hover_text("Save this dataset's citations in the Zotero running on this computer")
            .clicked()
        {
            commands.push(Command::SendToZotero {
                ids: vec![e.id.clone()],
                title: e.short_name.clone(),
                tag: None,
            });
        }
    });
    if e.origin.is_user() {
        ui.weak("Your entry (user catalogue)");
    }
    if e.draft {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Draft: its suggested facts are unverified until you confirm them",
        );
    }
    // What a user may do, first and in plain words, next to how to get the data.
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(vocab.label(
            medatlas::catalogue::VocabName::AccessLevels,
            &e.access.level,
        )))
        .on_hover_text(&e.access.how);
        ui.weak("·");
        ui.label(medatlas::catalogue::describe::terms_summary(e, vocab));
    });
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.label(&e.summary);
            ui.add_space(4.0);
            egui::CollapsingHeader::new("Description")
                .default_open(true)
                .show(ui, |ui| ui.label(&e.description));
            ui.add_space(4.0);
            characteristics_ui(e, vocab, ui);
            related_ui(app, e, ui, commands);
            ui.add_space(8.0);
            ui.strong("Links");
            links_ui(app, e, ui, commands);
            ui.add_space(8.0);
            citations_ui(app, e, ui, commands);
            if !e.unverified.is_empty() {
                ui.add_space(8.0);
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Not verified: {}", e.unverified.join(", ")),
                );
            }
            ui.add_space(8.0);
            egui::CollapsingHeader::new(format!("Sources ({})", e.sources.len()))
                .id_salt("sources")
                .show(ui, |ui| {
                    for s in &e.sources {
                        ui.horizontal_wrapped(|ui| {
                            ui.weak(format!("[{}]", s.kind));
                            link_or_text(ui, &s.url, commands);
                        });
                        if !s.supports.is_empty() {
                            ui.weak(format!("    backs: {}", s.supports.join(", ")));
                        }
                    }
                    if let Some(seed) = e.seed.as_ref().filter(|s| !s.corrections.is_empty()) {
                        ui.add_space(4.0);
                        ui.strong("Corrections to the seed list");
                        for c in &seed.corrections {
                            ui.label(format!("• {c}"));
                        }
                    }
                });
        });
}

fn characteristics_ui(e: &Entry, vocab: &medatlas::catalogue::Vocabulary, ui: &mut egui::Ui) {
    let label_width = 112.0;
    for row in medatlas::catalogue::describe::characteristics(e, vocab) {
        ui.horizontal_top(|ui| {
            ui.add_sized(
                [label_width, 0.0],
                egui::Label::new(egui::RichText::new(row.label).strong()),
            );
            ui.vertical(|ui| {
                ui.add(egui::Label::new(row.value).wrap());
                if e.is_unverified(row.field) {
                    ui.colored_label(ui.visuals().warn_fg_color, "(unverified)")
                        .on_hover_text("No checked source backs this field");
                }
            });
        });
        ui.add_space(2.0);
    }
}

/// Related datasets, each a link that selects it.
fn related_ui(app: &App, e: &Entry, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    if e.relations.is_empty() {
        return;
    }
    let vocab = &app.catalogue.vocabulary;
    ui.add_space(8.0);
    ui.strong("Related datasets");
    for r in &e.relations {
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!(
                "{}:",
                vocab.label(medatlas::catalogue::VocabName::RelationKinds, &r.kind)
            ));
            let name = app
                .catalogue
                .get(&r.target)
                .map_or(r.target.as_str(), |t| t.name.as_str());
            if ui.link(name).on_hover_text(&r.target).clicked() {
                commands.push(Command::Select(r.target.clone()));
            }
        })
        .response
        .on_hover_text(r.note.clone().unwrap_or_default());
    }
}

/// The homepage once (with what its own link entry records), then every other link.
fn links_ui(app: &App, e: &Entry, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    let homepage = e.homepage_link();
    ui.horizontal_wrapped(|ui| {
        ui.label("Homepage:");
        link_or_text(ui, &e.homepage, commands);
        health_ui(app, ui, &e.homepage);
        link_status_ui(ui, homepage.and_then(|l| l.status.as_deref()));
        if e.is_unverified("homepage") {
            ui.colored_label(ui.visuals().warn_fg_color, "(unverified)");
        }
        if e.status != "active" {
            ui.colored_label(ui.visuals().warn_fg_color, format!("({})", e.status));
        }
        if ui.small_button("Copy link").clicked() {
            commands.push(Command::Copy {
                text: e.homepage.clone(),
                what: format!("Link to {}", e.short_name),
            });
        }
    })
    .response
    .on_hover_text(homepage.and_then(|l| l.note.clone()).unwrap_or_default());
    for link in e.other_links() {
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("{}:", link.kind));
            let text = link.label.as_deref().unwrap_or(&link.url);
            link_labelled(ui, text, &link.url, commands);
            health_ui(app, ui, &link.url);
            link_status_ui(ui, link.status.as_deref());
        })
        .response
        .on_hover_text(link.note.clone().unwrap_or_default());
    }
}

/// What the catalogue records of a link, when it is not simply current.
fn link_status_ui(ui: &mut egui::Ui, status: Option<&str>) {
    match status {
        Some("moved") => {
            ui.colored_label(ui.visuals().warn_fg_color, "moved");
        }
        Some("dead") => {
            ui.colored_label(ui.visuals().error_fg_color, "dead");
        }
        Some("unverified") => {
            ui.weak("not verified");
        }
        _ => {}
    }
}

fn link_or_text(ui: &mut egui::Ui, url: &str, commands: &mut Vec<Command>) {
    link_labelled(ui, url, url, commands);
}

/// A clickable link for http(s) URLs; anything else is shown as text with a warning, never opened.
fn link_labelled(ui: &mut egui::Ui, text: &str, url: &str, commands: &mut Vec<Command>) {
    if medatlas::catalogue::validate::check_http_url(url).is_ok() {
        if ui.link(text).on_hover_text(url).clicked() {
            commands.push(Command::OpenUrl(url.to_owned()));
        }
    } else if medatlas::catalogue::validate::looks_like_link(url) {
        ui.label(text);
        ui.colored_label(
            ui.visuals().error_fg_color,
            "(not an http(s) link; not opened)",
        );
    } else {
        ui.label(text);
    }
}

fn citations_ui(app: &App, e: &Entry, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong("Cite");
        let mut format = app.state.citation_format;
        egui::ComboBox::from_label("format")
            .selected_text(format.label())
            .show_ui(ui, |ui| {
                for f in Format::ALL {
                    ui.selectable_value(&mut format, f, f.label());
                }
            });
        if format != app.state.citation_format {
            commands.push(Command::SetFormat(format));
        }
    });
    if let Some(reason) = &e.no_citation {
        ui.weak(format!("No formal citation known: {reason}"));
    }
    let required: Vec<String> = e
        .citations
        .iter()
        .filter(|c| c.required)
        .map(|c| {
            let year = c.year.map_or_else(|| "n.d.".to_owned(), |y| y.to_string());
            format!("{} ({year})", c.title)
        })
        .collect();
    if !required.is_empty() {
        ui.label(format!(
            "The provider requires citing: {}",
            required.join("; ")
        ));
    }
    let text = app.citer.entry(e, app.state.citation_format);
    let mut shown = text.clone();
    let label = ui.weak("Citation text (select to copy part of it):");
    ui.add(
        egui::TextEdit::multiline(&mut shown)
            .font(egui::TextStyle::Monospace)
            .desired_rows(4)
            .desired_width(f32::INFINITY)
            .interactive(true),
    )
    .labelled_by(label.id);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Copy").clicked() {
            commands.push(Command::Copy {
                text: text.clone(),
                what: format!("{} for {}", app.state.citation_format.label(), e.short_name),
            });
        }
        let shown_entries: Vec<&Entry> = app
            .rows
            .iter()
            .filter_map(|id| app.catalogue.get(id))
            .collect();
        if ui
            .button(format!(
                "Copy citations for all {} results shown",
                shown_entries.len()
            ))
            .clicked()
        {
            let all = app
                .citer
                .document(&shown_entries, app.state.citation_format)
                .text;
            commands.push(Command::Copy {
                text: all,
                what: format!(
                    "{} for {} datasets",
                    app.state.citation_format.label(),
                    shown_entries.len()
                ),
            });
        }
    });
}
