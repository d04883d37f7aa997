//! The left panel: facets with live (disjunctive) counts, multi-select, and "clear all".

use eframe::egui;
use medatlas::catalogue::facets::FacetKind;

use super::app::App;
use super::state::Command;

const SHOWN: [FacetKind; 8] = [
    FacetKind::Tier,
    FacetKind::Modality,
    FacetKind::BodyPart,
    FacetKind::Access,
    FacetKind::CommercialUse,
    FacetKind::LicenceFamily,
    FacetKind::Species,
    FacetKind::Task,
];

pub fn ui(app: &mut App, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong("Filters");
        if ui
            .add_enabled(
                !app.state.selection.is_empty(),
                egui::Button::new("Clear all"),
            )
            .clicked()
        {
            commands.push(Command::ClearFilters);
        }
    });
    ui.separator();
    let Some(results) = &app.results else { return };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            for facet in SHOWN {
                let Some(counts) = results.facets.iter().find(|f| f.facet == facet) else {
                    continue;
                };
                let selected_here = app.state.selection.0.get(&facet).map_or(0, |s| s.len());
                let title = if selected_here > 0 {
                    format!("{} ({selected_here} selected)", facet.label())
                } else {
                    facet.label().to_owned()
                };
                egui::CollapsingHeader::new(title)
                    .id_salt(facet.key())
                    .default_open(matches!(
                        facet,
                        FacetKind::Tier
                            | FacetKind::Modality
                            | FacetKind::BodyPart
                            | FacetKind::Access
                            | FacetKind::CommercialUse
                            | FacetKind::LicenceFamily
                    ))
                    .show(ui, |ui| {
                        for value in &counts.values {
                            let mut checked = app.state.selection.contains(facet, &value.value);
                            // Values with no result under the current filters are dimmed, not hidden.
                            let text = format!("{} ({})", value.label, value.count);
                            let text = if value.count == 0 && !checked {
                                egui::RichText::new(text).weak()
                            } else {
                                egui::RichText::new(text)
                            };
                            let codes = app
                                .catalogue
                                .vocabulary
                                .terms(facet.vocab())
                                .get(&value.value)
                                .map(|t| t.codes_text())
                                .unwrap_or_default();
                            let mut response = ui.checkbox(&mut checked, text);
                            if !codes.is_empty() {
                                response = response.on_hover_text(codes);
                            }
                            if response.changed() {
                                commands.push(Command::ToggleFacet(facet, value.value.clone()));
                            }
                        }
                    });
            }
        });
}
