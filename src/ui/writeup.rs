//! The Write-up kit window: for the active shortlist, the references (in the chosen citation
//! format), acknowledgements, a data availability statement and a terms checklist, each with a Copy
//! button, and the whole kit copied as Markdown. Everything comes from the catalogue (`writeup`).

use eframe::egui;
use medatlas::cite::Format;

use super::app::App;
use super::state::Command;

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let Some((items, kit)) = app.writeup.clone() else {
        return;
    };
    // The kit follows the citation format chosen anywhere in the window.
    if kit.style != app.state.citation_format {
        app.build_writeup(items);
        return;
    }
    let mut open = true;
    egui::Window::new("Write-up kit")
        .open(&mut open)
        .default_width(760.0)
        .default_height(620.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label(format!("{} datasets. References as", kit.ids.len()));
                let mut format = app.state.citation_format;
                egui::ComboBox::from_id_salt("writeup_format")
                    .selected_text(format.label())
                    .show_ui(ui, |ui| {
                        for f in Format::ALL {
                            ui.selectable_value(&mut format, f, f.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if format != app.state.citation_format {
                    commands.push(Command::SetFormat(format));
                }
                if ui.button("Copy all as Markdown").clicked() {
                    commands.push(Command::Copy {
                        text: kit.to_markdown(),
                        what: "Write-up kit (Markdown)".into(),
                    });
                }
            });
            ui.weak(
                "From the catalogue only: check each provider's current terms before you publish. \
                 Fill in what is marked […].",
            );
            ui.separator();
            egui::ScrollArea::vertical().show(ui, |ui| {
                for (title, text, what) in [
                    ("References", kit.references_text(false), "References"),
                    (
                        "Acknowledgements",
                        kit.acknowledgements_text(false),
                        "Acknowledgements",
                    ),
                    (
                        "Data availability statement",
                        kit.availability_text(false),
                        "Data availability statement",
                    ),
                    (
                        "Terms checklist",
                        kit.checklist_text(false),
                        "Terms checklist",
                    ),
                ] {
                    // The plain-text heading is the section's first two lines: shown by the header.
                    let body: String = text.lines().skip(2).collect::<Vec<_>>().join("\n");
                    egui::CollapsingHeader::new(title)
                        .default_open(true)
                        .show(ui, |ui| {
                            if ui.button(format!("Copy {}", what.to_lowercase())).clicked() {
                                commands.push(Command::Copy {
                                    text: body.trim().to_owned() + "\n",
                                    what: what.to_owned(),
                                });
                            }
                            ui.add(egui::Label::new(body.trim()).wrap().selectable(true));
                        });
                }
            });
        });
    if !open {
        app.writeup = None;
    }
}
