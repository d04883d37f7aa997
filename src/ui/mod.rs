//! The desktop window (eframe/egui): a thin front end over the core library.
//!
//! For now it shows the loaded catalogue as a simple list; the full browser replaces it.

use anyhow::{Context as _, anyhow};
use medatlas::catalogue::Catalogue;

use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let catalogue = global.load_catalogue().context("loading the catalogue")?;
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("MedAtlas")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "MedAtlas",
        options,
        Box::new(move |_cc| Ok(Box::new(PlaceholderApp { catalogue }))),
    )
    .map_err(|e| anyhow!("could not open the window: {e}"))
}

struct PlaceholderApp {
    catalogue: Catalogue,
}

impl eframe::App for PlaceholderApp {
    fn ui(&mut self, ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {
        eframe::egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("MedAtlas");
            ui.label(format!(
                "{} datasets in the catalogue ({} problems)",
                self.catalogue.entries.len(),
                self.catalogue.problems.len()
            ));
            ui.separator();
            eframe::egui::ScrollArea::vertical().show(ui, |ui| {
                for entry in &self.catalogue.entries {
                    ui.label(format!("{} — {}", entry.name, entry.summary));
                }
            });
        });
    }
}
