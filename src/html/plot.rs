//! Plots as inline SVG, drawn here rather than by a script so that the report is one file that
//! shows its figures with scripts off, and every label (some come from the corpus: source names,
//! document paths) goes through HTML escaping like the rest of the page.

use minijinja::HtmlEscape;
use std::fmt::Write;

/// Width of every plot in SVG user units; plots scale to their container.
const WIDTH: f64 = 560.0;
/// Height of a column chart.
const COLUMN_HEIGHT: f64 = 250.0;
/// Height of one row of a row chart.
const ROW_HEIGHT: f64 = 22.0;
/// Characters of a row label shown before it is cut.
const LABEL_CHARS: usize = 30;

/// One stacked part of a column chart.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// Legend text.
    pub name: &'a str,
    /// Fill colour.
    pub color: &'a str,
}

/// One column: a label and one value per series, stacked in series order.
#[derive(Clone, Debug)]
pub struct Column {
    /// Label under the column.
    pub label: String,
    /// Values, one per series.
    pub values: Vec<u64>,
}

/// One row of a row chart: a ratio between 0 and 1.
#[derive(Clone, Debug)]
pub struct Row {
    /// Label left of the bar (cut to a few words if long; the full text is in the tooltip).
    pub label: String,
    /// The ratio the bar shows.
    pub ratio: f64,
    /// Extra words for the tooltip.
    pub note: String,
}

fn esc(text: &str) -> HtmlEscape<'_> {
    HtmlEscape(text)
}

/// A step of 1, 2 or 5 times a power of ten giving at most `max_ticks` steps up to `max`.
fn nice_step(max: f64, max_ticks: usize) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / max_ticks as f64;
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power)
}

fn format_count(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// The first `chars` characters of `label`, with an ellipsis if cut.
fn cut(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_owned()
    } else {
        let head: String = label.chars().take(chars - 1).collect();
        format!("{head}…")
    }
}

/// The last `chars` characters of `label`, with an ellipsis if cut: the informative end of a
/// path or a host name.
fn cut_start(label: &str, chars: usize) -> String {
    let count = label.chars().count();
    if count <= chars {
        label.to_owned()
    } else {
        let tail: String = label.chars().skip(count + 1 - chars).collect();
        format!("…{tail}")
    }
}

/// A column chart with stacked series, integer counts on the y axis and each column's total
/// written above it.
pub fn column_chart(
    description: &str,
    columns: &[Column],
    series: &[Series<'_>],
    y_title: &str,
) -> String {
    let (left, right, top, bottom) = (52.0, 12.0, 28.0, 40.0);
    let plot_w = WIDTH - left - right;
    let plot_h = COLUMN_HEIGHT - top - bottom;
    let totals: Vec<u64> = columns.iter().map(|c| c.values.iter().sum()).collect();
    let max_total = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = nice_step(max_total, 4).max(1.0);
    let y_max = (max_total / step).ceil() * step;
    let y = |value: f64| top + plot_h - value / y_max * plot_h;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="plot" viewBox="0 0 {WIDTH} {COLUMN_HEIGHT}" role="img" aria-label="{}">"#,
        esc(description)
    );
    // Grid and y axis labels.
    let mut tick = 0.0;
    while tick <= y_max + step / 2.0 {
        let ty = y(tick);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{ty:.1}" y2="{ty:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - right,
            left - 6.0,
            ty + 4.0,
            format_count(tick)
        );
        tick += step;
    }
    let _ = write!(
        svg,
        r#"<text class="axis-title" x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        esc(y_title)
    );
    // Columns.
    let slot = plot_w / columns.len().max(1) as f64;
    let bar_w = (slot * 0.68).min(64.0);
    for (index, (column, total)) in columns.iter().zip(&totals).enumerate() {
        let x = left + slot * index as f64 + (slot - bar_w) / 2.0;
        let mut base = 0.0;
        for (value, s) in column.values.iter().zip(series) {
            if *value == 0 {
                continue;
            }
            let y0 = y(base);
            let y1 = y(base + *value as f64);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y1:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {} {}</title></rect>"#,
                (y0 - y1).max(0.5),
                s.color,
                esc(&column.label),
                value,
                esc(s.name)
            );
            base += *value as f64;
        }
        let cx = x + bar_w / 2.0;
        if *total > 0 {
            let _ = write!(
                svg,
                r#"<text class="value" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                y(*total as f64) - 5.0,
                total
            );
        }
        let _ = write!(
            svg,
            r#"<text class="tick" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            top + plot_h + 16.0,
            esc(&cut(&column.label, 12))
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/>"#,
        WIDTH - right,
        top + plot_h,
        top + plot_h
    );
    // Legend, right-aligned above the plot.
    if series.len() > 1 {
        let mut lx = WIDTH - right;
        for s in series.iter().rev() {
            let text_w = s.name.chars().count() as f64 * 6.2;
            lx -= text_w + 22.0;
            let _ = write!(
                svg,
                r#"<rect x="{lx:.1}" y="6" width="11" height="11" rx="2" fill="{}"/><text class="legend" x="{:.1}" y="15">{}</text>"#,
                s.color,
                lx + 15.0,
                esc(s.name)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar chart of ratios, one row each, with the percentage written after each bar.
pub fn row_chart(description: &str, rows: &[Row], color: &str) -> String {
    let (label_w, right, top, bottom) = (196.0, 56.0, 8.0, 26.0);
    let plot_w = WIDTH - label_w - right;
    let height = top + rows.len().max(1) as f64 * ROW_HEIGHT + bottom;
    let max_ratio = rows.iter().map(|r| r.ratio).fold(0.0, f64::max);
    let step = nice_step((max_ratio * 100.0).max(1.0), 4);
    let x_max = ((max_ratio * 100.0) / step).ceil().max(1.0) * step;
    let x = |ratio: f64| label_w + ratio * 100.0 / x_max * plot_w;
    let plot_bottom = top + rows.len() as f64 * ROW_HEIGHT;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="plot" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-label="{}">"#,
        esc(description)
    );
    let mut tick = 0.0;
    while tick <= x_max + step / 2.0 {
        let tx = x(tick / 100.0);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{tx:.1}" x2="{tx:.1}" y1="{top}" y2="{plot_bottom:.1}"/><text class="tick" x="{tx:.1}" y="{:.1}" text-anchor="middle">{tick}%</text>"#,
            plot_bottom + 16.0
        );
        tick += step;
    }
    for (i, row) in rows.iter().enumerate() {
        let ry = top + i as f64 * ROW_HEIGHT;
        let bar_w = (x(row.ratio) - label_w).max(if row.ratio > 0.0 { 1.5 } else { 0.0 });
        let _ = write!(
            svg,
            r#"<g><title>{}: {:.1}% {}</title><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{label_w}" y="{:.1}" width="{bar_w:.1}" height="{:.1}" rx="2" fill="{color}"/><text class="value" x="{:.1}" y="{:.1}">{:.1}%</text></g>"#,
            esc(&row.label),
            row.ratio * 100.0,
            esc(&row.note),
            label_w - 8.0,
            ry + 15.0,
            esc(&cut_start(&row.label, LABEL_CHARS)),
            ry + 4.0,
            ROW_HEIGHT - 8.0,
            label_w + bar_w + 5.0,
            ry + 15.0,
            row.ratio * 100.0
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{label_w}" x2="{label_w}" y1="{top}" y2="{plot_bottom:.1}"/></svg>"#
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_numbers() {
        assert_eq!(nice_step(5.0, 4), 2.0);
        assert_eq!(nice_step(37.0, 4), 10.0);
        assert_eq!(nice_step(1200.0, 4), 500.0);
        assert_eq!(nice_step(0.0, 4), 1.0);
    }

    #[test]
    fn long_labels_keep_their_informative_end() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut_start("data/articles/003.txt", 8), "…003.txt");
        assert_eq!(cut_start("short", 8), "short");
    }

    #[test]
    fn labels_from_the_corpus_are_escaped() {
        let rows = [Row {
            label: "<script>alert(1)</script>".into(),
            ratio: 0.5,
            note: "\"><img src=x>".into(),
        }];
        let svg = row_chart("per source", &rows, "#000");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        let columns = [Column {
            label: "<b>".into(),
            values: vec![1],
        }];
        let svg = column_chart(
            "<x>",
            &columns,
            &[Series {
                name: "<i>",
                color: "#000",
            }],
            "n",
        );
        assert!(!svg.contains("<b>") && !svg.contains("<i>") && !svg.contains("<x>"));
    }

    #[test]
    fn columns_stack_and_show_their_totals() {
        let columns = [
            Column {
                label: "2".into(),
                values: vec![3, 4],
            },
            Column {
                label: "3".into(),
                values: vec![0, 1],
            },
        ];
        let series = [
            Series {
                name: "cross",
                color: "#111",
            },
            Series {
                name: "within",
                color: "#222",
            },
        ];
        let svg = column_chart("sizes", &columns, &series, "clusters");
        // Three non-empty parts, each with a tooltip, and the totals 7 and 1 above the columns.
        assert_eq!(svg.matches("<title>").count(), 3);
        assert!(svg.contains(">7</text>"));
        assert!(svg.contains(">1</text>"));
        assert!(svg.contains("2: 3 cross"));
    }

    #[test]
    fn rows_show_percentages() {
        let rows = [
            Row {
                label: "a".into(),
                ratio: 0.25,
                note: String::new(),
            },
            Row {
                label: "b".into(),
                ratio: 0.0,
                note: String::new(),
            },
        ];
        let svg = row_chart("ratios", &rows, "#000");
        assert!(svg.contains(">25.0%</text>"));
        assert!(svg.contains(">0.0%</text>"));
        assert_eq!(svg.matches("<g>").count(), 2);
    }
}
