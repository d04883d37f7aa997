//! The left panel: facets with live (disjunctive) counts, multi-select, and "clear all". A facet
//! with many values shows its most frequent ones (and every selected one) with "Show all", and a
//! field to find a value by its name, synonyms or code.

use eframe::egui;
use medatlas::catalogue::facets::{FacetKind, FacetValue};

use super::app::App;
use super::state::Command;

/// Values shown before "Show all" in a facet that has more.
pub const TOP_VALUES: usize = 8;

/// How one facet's list is shown: the text that finds values, and whether every value is listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetList {
    pub filter: String,
    pub show_all: bool,
}

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
    // A copy, so that the lists' own state (find text, "Show all") can change while drawing.
    let Some(facets) = app.results.as_ref().map(|r| r.facets.clone()) else {
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            for facet in SHOWN {
                let Some(counts) = facets.iter().find(|f| f.facet == facet) else {
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
                        facet_values(app, facet, &counts.values, ui, commands)
                    });
            }
        });
}

/// The values of one facet: all of them when there are few; otherwise a find field, then the
/// matching values, or the most frequent ones and the selected ones with "Show all".
fn facet_values(
    app: &mut App,
    facet: FacetKind,
    values: &[FacetValue],
    ui: &mut egui::Ui,
    commands: &mut Vec<Command>,
) {
    let long = values.len() > TOP_VALUES;
    let mut list = app.facet_lists.get(&facet).cloned().unwrap_or_default();
    if long {
        ui.horizontal(|ui| {
            let label = ui.label(format!("Find {}:", facet.label().to_lowercase()));
            ui.add(
                egui::TextEdit::singleline(&mut list.filter)
                    .hint_text("name, synonym or code")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
    }
    let shown = visible(app, facet, values, &list, long);
    if shown.is_empty() {
        ui.weak("No value matches");
    }
    for value in &shown {
        value_checkbox(app, facet, value, ui, commands);
    }
    let hidden = values.len() - shown.len();
    if long && list.filter.trim().is_empty() {
        if list.show_all {
            if ui.small_button("Show fewer").clicked() {
                list.show_all = false;
            }
        } else if hidden > 0
            && ui
                .small_button(format!("Show all {}", values.len()))
                .clicked()
        {
            list.show_all = true;
        }
    }
    app.facet_lists.insert(facet, list);
}

/// Which values a facet lists now (see `facet_values`), in the order shown.
pub fn visible<'v>(
    app: &App,
    facet: FacetKind,
    values: &'v [FacetValue],
    list: &FacetList,
    long: bool,
) -> Vec<&'v FacetValue> {
    let needle = list.filter.trim().to_lowercase();
    if !needle.is_empty() {
        let terms = app.catalogue.vocabulary.terms(facet.vocab());
        return values
            .iter()
            .filter(|v| {
                let term = terms.get(&v.value);
                v.label.to_lowercase().contains(&needle)
                    || v.value.to_lowercase().contains(&needle)
                    || term.is_some_and(|t| {
                        t.synonyms
                            .iter()
                            .any(|s| s.to_lowercase().contains(&needle))
                            || t.codes.iter().any(|c| c.code.contains(&needle))
                    })
            })
            .collect();
    }
    if !long || list.show_all {
        return values.iter().collect();
    }
    // The most frequent values with results, then any selected value not among them.
    let mut by_count: Vec<&FacetValue> = values.iter().filter(|v| v.count > 0).collect();
    by_count.sort_by_key(|v| std::cmp::Reverse(v.count));
    by_count.truncate(TOP_VALUES);
    for v in values {
        if app.state.selection.contains(facet, &v.value)
            && !by_count.iter().any(|s| s.value == v.value)
        {
            by_count.push(v);
        }
    }
    by_count
}

fn value_checkbox(
    app: &App,
    facet: FacetKind,
    value: &FacetValue,
    ui: &mut egui::Ui,
    commands: &mut Vec<Command>,
) {
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
