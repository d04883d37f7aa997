//! The Overview window: the current results as bar charts (counts by modality, body part, access
//! level and licence family; sizes on a logarithmic axis), drawn with egui's painter. Clicking a
//! bar filters the results by that value, like ticking it in the facets.

use eframe::egui;
use medatlas::catalogue::facets::{FacetCounts, FacetKind};

use super::app::App;
use super::state::Command;

/// Bars shown per chart (the most frequent values).
const BARS: usize = 10;

const CHARTS: [FacetKind; 4] = [
    FacetKind::Modality,
    FacetKind::BodyPart,
    FacetKind::Access,
    FacetKind::LicenceFamily,
];

pub fn window_ui(app: &mut App, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let mut open = app.show_overview;
    egui::Window::new("Overview")
        .open(&mut open)
        .default_width(640.0)
        .default_height(700.0)
        .show(ctx, |ui| {
            let Some(results) = &app.results else {
                ui.weak("No results yet.");
                return;
            };
            ui.weak(format!(
                "{} datasets in the current results. Click a bar to filter by its value.",
                app.rows.len()
            ));
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("overview_grid")
                    .num_columns(2)
                    .spacing([18.0, 12.0])
                    .show(ui, |ui| {
                        for (i, facet) in CHARTS.iter().enumerate() {
                            if let Some(counts) = results.facets.iter().find(|f| f.facet == *facet)
                            {
                                ui.vertical(|ui| {
                                    ui.set_width(290.0);
                                    chart_ui(app, ui, counts, commands);
                                });
                            }
                            if i % 2 == 1 {
                                ui.end_row();
                            }
                        }
                        ui.vertical(|ui| {
                            ui.set_width(290.0);
                            sizes_ui(app, ui);
                        });
                        ui.end_row();
                    });
            });
        });
    app.show_overview = open;
}

/// One facet's most frequent values with results, as clickable horizontal bars.
fn chart_ui(app: &App, ui: &mut egui::Ui, counts: &FacetCounts, commands: &mut Vec<Command>) {
    ui.strong(counts.facet.label());
    let mut values: Vec<_> = counts.values.iter().filter(|v| v.count > 0).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.count));
    values.truncate(BARS);
    let max = values.first().map_or(1, |v| v.count).max(1);
    if values.is_empty() {
        ui.weak("No values");
    }
    for value in values {
        let selected = app.state.selection.contains(counts.facet, &value.value);
        let accessible = format!(
            "{}: {} ({})",
            counts.facet.label(),
            value.label,
            value.count
        );
        let response = bar_ui(
            ui,
            &value.label,
            value.count,
            max,
            selected,
            &accessible,
            true,
        );
        let tip = if selected {
            format!(
                "Remove the filter {}: {}",
                counts.facet.label(),
                value.label
            )
        } else {
            format!("Filter by {}: {}", counts.facet.label(), value.label)
        };
        if response.on_hover_text(tip).clicked() {
            commands.push(Command::ToggleFacet(counts.facet, value.value.clone()));
        }
    }
}

/// A bar: the label on the left, the bar scaled to `count / max`, the count after it.
fn bar_ui(
    ui: &mut egui::Ui,
    label: &str,
    count: usize,
    max: usize,
    selected: bool,
    accessible: &str,
    clickable: bool,
) -> egui::Response {
    let height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let width = ui.available_width();
    let sense = if clickable {
        egui::Sense::click()
    } else {
        egui::Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), sense);
    let kind = if clickable {
        egui::Role::Button
    } else {
        egui::Role::Label
    };
    let accessible = accessible.to_owned();
    response.widget_info(|| egui::WidgetInfo::labeled(kind, true, accessible.clone()));
    if ui.is_rect_visible(rect) {
        let visuals = ui.visuals();
        let painter = ui.painter_at(rect);
        let label_width = (width * 0.42).min(150.0);
        let bar_room = (width - label_width - 40.0).max(10.0);
        let font = egui::TextStyle::Body.resolve(ui.style());
        let text_color = visuals.text_color();
        // The label, cut to its column (about 7 pixels a character) and clipped there.
        let label_rect = egui::Rect::from_min_size(rect.min, egui::vec2(label_width - 6.0, height));
        let shown = truncate(label, ((label_width - 6.0) / 7.5) as usize);
        ui.painter_at(label_rect).text(
            rect.left_center(),
            egui::Align2::LEFT_CENTER,
            shown,
            font.clone(),
            text_color,
        );
        let bar_width = bar_room * count as f32 / max as f32;
        let bar = egui::Rect::from_min_size(
            egui::pos2(rect.left() + label_width, rect.top() + 2.0),
            egui::vec2(bar_width.max(2.0), height - 4.0),
        );
        let fill = if selected {
            visuals.selection.bg_fill
        } else if response.hovered() {
            visuals.widgets.hovered.bg_fill
        } else {
            visuals.widgets.inactive.bg_fill
        };
        painter.rect_filled(bar, 2.0, fill);
        if selected {
            painter.rect_stroke(bar, 2.0, visuals.selection.stroke, egui::StrokeKind::Inside);
        }
        painter.text(
            egui::pos2(bar.right() + 4.0, rect.center().y),
            egui::Align2::LEFT_CENTER,
            count.to_string(),
            font,
            text_color,
        );
    }
    response
}

fn truncate(text: &str, chars: usize) -> String {
    let chars = chars.max(2);
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    }
}

/// The results' headline sizes (subjects, else cases, images ...) in powers of ten: a histogram on
/// a logarithmic axis.
fn sizes_ui(app: &App, ui: &mut egui::Ui) {
    ui.strong("Size (logarithmic bins)");
    let sizes: Vec<u64> = app
        .rows
        .iter()
        .filter_map(|id| app.catalogue.get(id))
        .filter_map(|e| e.size.as_ref().and_then(|s| s.headline()))
        .map(|(n, _)| n)
        .collect();
    let unknown = app.rows.len() - sizes.len();
    let mut bins = [0usize; 8];
    for n in &sizes {
        let decade = (*n).max(1).ilog10() as usize;
        bins[decade.min(bins.len() - 1)] += 1;
    }
    let labels = [
        "1–9",
        "10–99",
        "100–999",
        "1k–10k",
        "10k–100k",
        "100k–1M",
        "1M–10M",
        "10M or more",
    ];
    let max = bins.iter().copied().max().unwrap_or(1).max(1);
    for (label, count) in labels.iter().zip(bins) {
        let accessible = format!("Size {label}: {count}");
        bar_ui(ui, label, count, max, false, &accessible, false)
            .on_hover_text(format!("{count} datasets with a headline size of {label}"));
    }
    ui.weak(format!(
        "Headline size: subjects, else cases, images, studies or series. {unknown} without a figure."
    ));
}
