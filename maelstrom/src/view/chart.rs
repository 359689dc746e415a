//! What the three perf plots (`perf.rs`) share: the bundled font, the PNG chart types, the
//! nemesis shading, markers with legend entries, and the axes of a latency plot.
//!
//! Text is drawn with DejaVu Sans from the `dejavu` crate through plotters' `ab_glyph` backend,
//! so that drawing reads no system font (plotters' default `ttf` feature needs fontconfig).

use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Makes DejaVu Sans plotters' `sans-serif`, once per process.
pub fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bundled font is a valid TrueType file; if it were not, text would be missing
        // from the plots and drawing would fail with a font error, reported in `:views`.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// The PNG (or, in tests, pixel buffer) a plot is drawn on.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// What drawing a plot returns: plotters' errors, boxed.
pub type DrawResult = Result<(), Box<dyn std::error::Error + 'static>>;
/// A chart on a PNG, seconds across and `Y` up.
pub type Chart<'a, 'b, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, Y>>;

/// A fault's span on a plot: start and end in seconds, and the fault's colour.
pub type ShadedSpan = (f64, f64, RGBColor);

/// `#RRGGBB` (a fault's `Shade::color`) as a plotters colour; grey if it is not one.
pub fn hex_color(color: &str) -> RGBColor {
    let byte = |at: usize| {
        color
            .get(at..at + 2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
    };
    match (color.len(), byte(1), byte(3), byte(5)) {
        (7, Some(r), Some(g), Some(b)) => RGBColor(r, g, b),
        _ => RGBColor(0xCC, 0xCC, 0xCC),
    }
}

/// Shades the faults' spans, each in its fault's colour, over the whole height of the chart.
pub fn shade<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, 'b, Y>,
    spans: &[ShadedSpan],
    (low, high): (f64, f64),
) -> DrawResult {
    chart
        .draw_series(
            spans.iter().map(|&(a, b, color)| {
                Rectangle::new([(a, low), (b, high)], color.mix(0.6).filled())
            }),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Draws `points` as markers of `shape` and gives the series a legend entry.
pub fn markers<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, 'b, Y>,
    points: Vec<(f64, f64)>,
    shape: usize,
    color: RGBColor,
    label: String,
) -> DrawResult {
    let style = color.filled();
    let series = match shape {
        0 => chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 2, style).into_dyn()),
        ),
        1 => chart.draw_series(
            points
                .into_iter()
                .map(|p| TriangleMarker::new(p, 3, style).into_dyn()),
        ),
        2 => chart.draw_series(
            points
                .into_iter()
                .map(|p| Cross::new(p, 3, color).into_dyn()),
        ),
        _ => chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.stroke_width(1)).into_dyn()),
        ),
    }
    .map_err(|e| e.to_string())?;
    series.label(label).legend(move |(x, y)| match shape {
        0 => Circle::new((x, y), 3, style).into_dyn(),
        1 => TriangleMarker::new((x, y), 4, style).into_dyn(),
        2 => Cross::new((x, y), 3, color).into_dyn(),
        _ => Circle::new((x, y), 3, color.stroke_width(1)).into_dyn(),
    });
    Ok(())
}

pub fn legend<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(chart: &mut Chart<'a, 'b, Y>) -> DrawResult {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Axes of a latency plot: few, readable labels on the log scale, faint minor lines.
pub fn latency_mesh(chart: &mut Chart<'_, '_, LogCoord<f64>>) -> DrawResult {
    chart
        .configure_mesh()
        .x_desc("Time (s)")
        .y_desc("Latency (ms)")
        .y_labels(8)
        .y_label_formatter(&|ms| match *ms {
            ms if ms >= 10.0 => format!("{ms:.0}"),
            ms if ms >= 1.0 => format!("{ms:.1}"),
            ms => format!("{ms:.2}"),
        })
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .draw()?;
    Ok(())
}
