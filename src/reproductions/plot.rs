//! SVG figures (plotters, SVG backend only: text is left to the viewer's fonts).

use plotters::coord::combinators::BindKeyPoints;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::error::{Error, Result};

/// A polyline.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Legend label.
    pub(crate) label: String,
    /// (x, y) points.
    pub(crate) points: Vec<(f64, f64)>,
    /// Palette index.
    pub(crate) color: usize,
    /// Stroke width in pixels (0 means 2).
    pub(crate) width: u32,
}

/// Markers with optional vertical error bars (half-width `err`, 0 for none).
#[derive(Debug, Clone)]
pub(crate) struct Markers {
    /// Legend label (empty: no legend entry).
    pub(crate) label: String,
    /// (x, y, err) points.
    pub(crate) points: Vec<(f64, f64, f64)>,
    /// Palette index.
    pub(crate) color: usize,
    /// Marker radius in pixels.
    pub(crate) size: u32,
}

/// A vertical reference line (e.g. ε*).
#[derive(Debug, Clone)]
pub(crate) struct VerticalLine {
    /// Legend label.
    pub(crate) label: String,
    /// Abscissa.
    pub(crate) x: f64,
    /// Palette index.
    pub(crate) color: usize,
}

/// A 2-d chart.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chart {
    /// Caption.
    pub(crate) title: String,
    /// x-axis description.
    pub(crate) x_label: String,
    /// y-axis description.
    pub(crate) y_label: String,
    /// Logarithmic x axis.
    pub(crate) log_x: bool,
    /// Logarithmic y axis.
    pub(crate) log_y: bool,
    /// Polylines.
    pub(crate) lines: Vec<Line>,
    /// Markers.
    pub(crate) markers: Vec<Markers>,
    /// Vertical lines.
    pub(crate) verticals: Vec<VerticalLine>,
    /// Same scale on both axes (for ellipses).
    pub(crate) equal_aspect: bool,
    /// Where the legend goes.
    pub(crate) legend: Legend,
}

/// Legend position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Legend {
    /// Upper right corner.
    #[default]
    UpperRight,
    /// Upper left corner.
    UpperLeft,
    /// Top centre.
    UpperMiddle,
    /// Lower right corner.
    LowerRight,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
];

fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

fn range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let pad = (hi / lo).powf(0.05).max(1.05);
        (lo / pad, hi * pad)
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-12 * hi.abs().max(1.0));
        (lo - pad, hi + pad)
    }
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("plotting failed: {e}"))
}

/// Renders the chart to an SVG string.
pub(crate) fn render(chart: &Chart) -> Result<String> {
    let xs = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .chain(
            chart
                .markers
                .iter()
                .flat_map(|m| m.points.iter().map(|p| p.0)),
        )
        .chain(chart.verticals.iter().map(|v| v.x));
    let mut x_range = range(xs.collect::<Vec<_>>().into_iter(), chart.log_x);
    let ys = chart
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(chart.markers.iter().flat_map(|m| {
            m.points
                .iter()
                .flat_map(|p| [p.1 - p.2, p.1 + p.2, p.1].into_iter())
        }));
    let mut y_range = range(ys.collect::<Vec<_>>().into_iter(), chart.log_y);
    if chart.equal_aspect {
        let half = ((x_range.1 - x_range.0).max(y_range.1 - y_range.0)) / 2.0;
        let (cx, cy) = ((x_range.0 + x_range.1) / 2.0, (y_range.0 + y_range.1) / 2.0);
        x_range = (cx - half, cx + half);
        y_range = (cy - half, cy + half);
    }
    let size = if chart.equal_aspect {
        (620, 560)
    } else {
        (720, 480)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        match (chart.log_x, chart.log_y) {
            (false, false) => draw(&root, chart, x_range.0..x_range.1, y_range.0..y_range.1),
            (true, false) => draw(
                &root,
                chart,
                (x_range.0..x_range.1)
                    .log_scale()
                    .with_key_points(log_ticks(x_range)),
                y_range.0..y_range.1,
            ),
            (false, true) => draw(
                &root,
                chart,
                x_range.0..x_range.1,
                (y_range.0..y_range.1)
                    .log_scale()
                    .with_key_points(log_ticks(y_range)),
            ),
            (true, true) => draw(
                &root,
                chart,
                (x_range.0..x_range.1)
                    .log_scale()
                    .with_key_points(log_ticks(x_range)),
                (y_range.0..y_range.1)
                    .log_scale()
                    .with_key_points(log_ticks(y_range)),
            ),
        }?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

fn draw<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    chart: &Chart,
    x_spec: X,
    y_spec: Y,
) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let mut ctx = ChartBuilder::on(root)
        .caption(&chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_spec, y_spec)
        .map_err(plot_error)?;
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&|v| format_tick(*v))
        .y_label_formatter(&|v| format_tick(*v))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(plot_error)?;
    let (y_lo, y_hi) = {
        let r = ctx.plotting_area().get_y_range();
        (r.start, r.end)
    };
    for v in &chart.verticals {
        let style = colour(v.color).stroke_width(1);
        ctx.draw_series(std::iter::once(PathElement::new(
            vec![(v.x, y_lo), (v.x, y_hi)],
            style,
        )))
        .map_err(plot_error)?
        .label(v.label.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    for line in &chart.lines {
        let width = if line.width == 0 { 2 } else { line.width };
        let style = colour(line.color).stroke_width(width);
        ctx.draw_series(LineSeries::new(line.points.iter().cloned(), style))
            .map_err(plot_error)?
            .label(line.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    for markers in &chart.markers {
        let c = colour(markers.color);
        let bars = markers.points.iter().filter(|p| p.2 > 0.0).map(|p| {
            let lo = if chart.log_y {
                (p.1 - p.2).max(p.1 * 1e-3)
            } else {
                p.1 - p.2
            };
            PathElement::new(vec![(p.0, lo), (p.0, p.1 + p.2)], c.stroke_width(1))
        });
        ctx.draw_series(bars).map_err(plot_error)?;
        let size = markers.size;
        let series = ctx
            .draw_series(
                markers
                    .points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), size, c.filled())),
            )
            .map_err(plot_error)?;
        // An empty label keeps the series out of the legend.
        if !markers.label.is_empty() {
            series
                .label(markers.label.as_str())
                .legend(move |(x, y)| Circle::new((x + 9, y), 3, c.filled()));
        }
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(match chart.legend {
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::UpperMiddle => SeriesLabelPosition::UpperMiddle,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        })
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

/// Tick positions of a logarithmic axis over `(lo, hi)`: 1-2-5 in every decade, thinned to the
/// powers of ten over many decades and refined to 1-2-3-5-7 when the range holds fewer than three.
fn log_ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let ticks = |mantissas: &[f64]| -> Vec<f64> {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (first..=last)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let standard = ticks(&[1.0, 2.0, 5.0]);
    if standard.len() > 9 {
        ticks(&[1.0])
    } else if standard.len() < 3 {
        ticks(&[1.0, 2.0, 3.0, 5.0, 7.0])
    } else {
        standard
    }
}

fn format_tick(v: f64) -> String {
    // Rounding residue of a linear axis through zero (e.g. −5.6e−17) is zero.
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e4).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{:.4}", v);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Points of the ellipse {m + r·L u : |u| = 1} of a 2×2 covariance (L its Cholesky factor).
pub(crate) fn ellipse(mean: (f64, f64), cov: [[f64; 2]; 2], radius: f64) -> Vec<(f64, f64)> {
    let l11 = cov[0][0].max(0.0).sqrt();
    let l21 = if l11 > 0.0 { cov[1][0] / l11 } else { 0.0 };
    let l22 = (cov[1][1] - l21 * l21).max(0.0).sqrt();
    (0..=120)
        .map(|k| {
            let t = k as f64 / 120.0 * std::f64::consts::TAU;
            let (u, v) = (t.cos(), t.sin());
            (
                mean.0 + radius * l11 * u,
                mean.1 + radius * (l21 * u + l22 * v),
            )
        })
        .collect()
}
