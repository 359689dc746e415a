//! Jepsen's three performance plots (`jepsen/src/jepsen/checker/perf.clj`), drawn with plotters
//! into PNGs of 900 x 400 px, with each fault's activity shaded in its package's colour
//! (`nemesis::Shade`, Jepsen's `nemesis/combined.clj` `:perf`; partitions `#E9DCA0`):
//!
//! - `latency-raw.png`: each completed client op at its invocation time (s) against its latency
//!   (ms, log scale), coloured by how it completed (ok `#81BFFC`, info `#FFA400`, fail
//!   `#FF1E90`), one marker shape per `:f`.
//! - `latency-quantiles.png`: the 0.5, 0.95, 0.99 and 1 latency quantiles per `:f` over time
//!   buckets (1 red, 0.99 orange, 0.95 purple, 0.5 blue, as `perf.clj`'s `qs->colors`).
//! - `rate.png`: completions per second per `:f` and type over time buckets.
//!
//! Buckets: Jepsen uses 30 s (quantiles) and 10 s (rate), which leaves one or two points for
//! the 20 s runs of the challenges; ours are a twentieth of the run, at least one second.
//!
//! No gnuplot, and no system font: text is drawn with a bundled font (`chart.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;

use crate::checker::{pair_index, percentile_index};
use crate::history::{History, OpType};
use crate::store::files::AtLink;
use crate::view::chart::{
    hex_color, latency_mesh, legend, markers, register_font, shade, Area, DrawResult, ShadedSpan,
};
use crate::view::fault_spans;

/// The plots, in the order they are written.
pub const PLOTS: [Plot; 3] = [Plot::LatencyRaw, Plot::LatencyQuantiles, Plot::Rate];

/// Image size in pixels.
pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 400;

const QUANTILES: [(f64, RGBColor); 4] = [
    (0.5, RGBColor(0x00, 0x00, 0xFF)),
    (0.95, RGBColor(0xA0, 0x20, 0xF0)),
    (0.99, RGBColor(0xFF, 0xA5, 0x00)),
    (1.0, RGBColor(0xFF, 0x00, 0x00)),
];

/// One of the three plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plot {
    LatencyRaw,
    LatencyQuantiles,
    Rate,
}

impl Plot {
    pub const fn file_name(self) -> &'static str {
        match self {
            Plot::LatencyRaw => "latency-raw.png",
            Plot::LatencyQuantiles => "latency-quantiles.png",
            Plot::Rate => "rate.png",
        }
    }
}

/// A completed client op: invoked at `time` (s), took `latency` (ms).
struct Point<'a> {
    time: f64,
    latency: f64,
    f: &'a str,
    completion: OpType,
}

fn type_color(t: OpType) -> RGBColor {
    match t {
        OpType::Ok => RGBColor(0x81, 0xBF, 0xFC),
        OpType::Info => RGBColor(0xFF, 0xA4, 0x00),
        _ => RGBColor(0xFF, 0x1E, 0x90),
    }
}

/// Writes `dir/<plot's file>`; returns the file names written.
pub fn write(dir: &Path, history: &History, plot: Plot) -> Result<Vec<String>, String> {
    let name = plot.file_name();
    draw(&dir.join(name), history, plot)?;
    Ok(vec![name.to_string()])
}

/// Draws one plot of `history` to the PNG file `path` (through a temporary file renamed over
/// it, `store::files::replace_with`: a link there is replaced, never written through).
pub fn draw(path: &Path, history: &History, plot: Plot) -> Result<(), String> {
    crate::store::files::replace_with(path, AtLink::Replace, |temp| {
        let root = BitMapBackend::new(temp, (WIDTH, HEIGHT)).into_drawing_area();
        render(&root, history, plot)?;
        root.present().map_err(|e| e.to_string())
    })
    .map_err(|e| e.to_string())
}

/// Draws one plot of `history` on `root` (a file or, in tests, a pixel buffer).
fn render(root: &Area<'_>, history: &History, plot: Plot) -> Result<(), String> {
    register_font();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let points = points(history);
    let spans: Vec<ShadedSpan> = fault_spans(history)
        .into_iter()
        .map(|s| {
            let color = hex_color(s.shade.color);
            (s.start as f64 / 1e9, s.end as f64 / 1e9, color)
        })
        .collect();
    let end = history
        .last()
        .map_or(1.0, |op| op.time as f64 / 1e9)
        .max(1.0);
    match plot {
        Plot::LatencyRaw => latency_raw(root, &points, &spans, end),
        Plot::LatencyQuantiles => latency_quantiles(root, &points, &spans, end),
        Plot::Rate => rate(root, &points, &spans, end),
    }
    .map_err(|e| e.to_string())
}

/// Completed client ops, in history order.
fn points(history: &History) -> Vec<Point<'_>> {
    let pairs = pair_index(history);
    history
        .iter()
        .enumerate()
        .filter(|(_, op)| op.op_type == OpType::Invoke && op.is_client())
        .filter_map(|(i, op)| {
            let done = &history[pairs[i]?];
            Some(Point {
                time: op.time as f64 / 1e9,
                latency: done.time.saturating_sub(op.time) as f64 / 1e6,
                f: op.f.as_str(),
                completion: done.op_type,
            })
        })
        .collect()
}

/// Bucket width in seconds for a run of `end` seconds.
pub fn bucket_secs(end: f64) -> f64 {
    (end / 20.0).ceil().max(1.0)
}

/// The `:f`s in order, each with its marker (0: disc, 1: triangle, 2: cross, 3: ring).
fn fs<'a>(points: &[Point<'a>]) -> BTreeMap<&'a str, usize> {
    let mut fs: BTreeMap<&str, usize> = points.iter().map(|p| (p.f, 0)).collect();
    for (i, shape) in fs.values_mut().enumerate() {
        *shape = i % 4;
    }
    fs
}

fn latency_raw(
    root: &Area<'_>,
    points: &[Point<'_>],
    spans: &[ShadedSpan],
    end: f64,
) -> DrawResult {
    let low = points
        .iter()
        .map(|p| p.latency)
        .fold(f64::INFINITY, f64::min);
    let low = if low.is_finite() {
        (low * 0.8).max(0.01)
    } else {
        0.1
    };
    let high = points.iter().map(|p| p.latency).fold(low * 10.0, f64::max) * 1.5;
    let mut chart = ChartBuilder::on(root)
        .caption("Latency (raw)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end, (low..high).log_scale().base(2.0))?;
    latency_mesh(&mut chart)?;
    shade(&mut chart, spans, (low, high))?;
    for (f, shape) in fs(points) {
        for t in [OpType::Ok, OpType::Info, OpType::Fail] {
            let series: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.f == f && p.completion == t)
                .map(|p| (p.time, p.latency.max(low)))
                .collect();
            if !series.is_empty() {
                markers(
                    &mut chart,
                    series,
                    shape,
                    type_color(t),
                    format!("{f} {}", t.name()),
                )?;
            }
        }
    }
    legend(&mut chart)
}

/// One line of the quantile or rate plot, with its legend entry.
struct Line {
    label: String,
    color: RGBColor,
    /// Marker shape, one per `:f` (see [`fs`]).
    shape: usize,
    points: Vec<(f64, f64)>,
}

/// The `q` quantile of latencies per bucket, for one `:f`: `(bucket midpoint s, ms)`.
fn quantile_line(points: &[Point<'_>], f: &str, q: f64, dt: f64) -> Vec<(f64, f64)> {
    let mut buckets: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for p in points.iter().filter(|p| p.f == f) {
        buckets
            .entry((p.time / dt) as u64)
            .or_default()
            .push(p.latency);
    }
    buckets
        .into_iter()
        .map(|(b, mut ls)| {
            ls.sort_by(f64::total_cmp);
            ((b as f64 + 0.5) * dt, ls[percentile_index(ls.len(), q)])
        })
        .collect()
}

fn latency_quantiles(
    root: &Area<'_>,
    points: &[Point<'_>],
    spans: &[ShadedSpan],
    end: f64,
) -> DrawResult {
    let dt = bucket_secs(end);
    let fs = fs(points);
    let lines: Vec<Line> = fs
        .iter()
        .flat_map(|(f, shape)| {
            QUANTILES.iter().map(move |&(q, color)| Line {
                label: format!("{f} {q}"),
                color,
                shape: *shape,
                points: quantile_line(points, f, q, dt),
            })
        })
        .collect();
    let all = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
    let low = all.clone().fold(f64::INFINITY, f64::min);
    let low = if low.is_finite() {
        (low * 0.8).max(0.01)
    } else {
        0.1
    };
    let high = all.fold(low * 10.0, f64::max) * 1.5;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Latency quantiles ({dt} s buckets)"),
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end, (low..high).log_scale().base(2.0))?;
    latency_mesh(&mut chart)?;
    shade(&mut chart, spans, (low, high))?;
    for line in lines {
        let points: Vec<(f64, f64)> = line.points.iter().map(|&(t, l)| (t, l.max(low))).collect();
        chart.draw_series(LineSeries::new(points.clone(), line.color.stroke_width(2)))?;
        markers(&mut chart, points, line.shape, line.color, line.label)?;
    }
    legend(&mut chart)
}

/// Completions per second per bucket, for one `:f` and completion type.
fn rate_line(points: &[Point<'_>], f: &str, t: OpType, dt: f64, end: f64) -> Vec<(f64, f64)> {
    let count = (end / dt).ceil().max(1.0) as usize;
    let mut buckets = vec![0u64; count];
    for p in points.iter().filter(|p| p.f == f && p.completion == t) {
        let done = p.time + p.latency / 1e3;
        buckets[((done / dt) as usize).min(count - 1)] += 1;
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(b, n)| ((b as f64 + 0.5) * dt, n as f64 / dt))
        .collect()
}

fn rate(root: &Area<'_>, points: &[Point<'_>], spans: &[ShadedSpan], end: f64) -> DrawResult {
    let dt = bucket_secs(end);
    let mut lines: Vec<Line> = Vec::new();
    for (f, shape) in fs(points) {
        for t in [OpType::Ok, OpType::Info, OpType::Fail] {
            if points.iter().any(|p| p.f == f && p.completion == t) {
                lines.push(Line {
                    label: format!("{f} {}", t.name()),
                    color: type_color(t),
                    shape,
                    points: rate_line(points, f, t, dt, end),
                });
            }
        }
    }
    let high = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(1.0, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Throughput ({dt} s buckets)"), ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end, 0.0..high)?;
    chart
        .configure_mesh()
        .x_desc("Time (s)")
        .y_desc("Throughput (hz)")
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .draw()?;
    shade(&mut chart, spans, (0.0, high))?;
    for line in lines {
        chart.draw_series(LineSeries::new(
            line.points.clone(),
            line.color.stroke_width(2),
        ))?;
        markers(&mut chart, line.points, line.shape, line.color, line.label)?;
    }
    legend(&mut chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use crate::history::{Op, Process};

    /// 10 s of broadcasts and reads from 3 processes, a partition from 2 s to 4 s and another
    /// from 6 s to 9 s, a few timeouts and failures.
    fn history() -> History {
        let mut h: History = Vec::new();
        let mut push = |ms: u64, t: OpType, p: Process, f: &str| {
            let mut op = Op::new(t, p, f, Edn::Nil);
            op.index = h.len();
            op.time = ms * 1_000_000;
            h.push(op);
        };
        for k in 0..200u64 {
            let at = k * 50;
            let f = if k % 2 == 0 { "broadcast" } else { "read" };
            let p = Process::Client(k % 3);
            for (edge, f_name) in [
                (2_000, "start-partition"),
                (4_000, "stop-partition"),
                (6_000, "start-partition"),
                (9_000, "stop-partition"),
            ] {
                if at == edge {
                    push(at, OpType::Info, Process::Nemesis, f_name);
                    push(at, OpType::Info, Process::Nemesis, f_name);
                }
            }
            push(at, OpType::Invoke, p, f);
            let done = match k % 17 {
                0 => OpType::Info,
                5 => OpType::Fail,
                _ => OpType::Ok,
            };
            push(at + 1 + k % 40, done, p, f);
        }
        h
    }

    /// Draws `plot` into a pixel buffer (RGB, row by row).
    fn pixels(plot: Plot) -> Vec<u8> {
        let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            render(&root, &history(), plot).expect("drawn");
            root.present().expect("presented");
        }
        buf
    }

    /// Runs of columns (x) where most pixels of the middle band are the nemesis shade.
    fn shaded_runs(buf: &[u8]) -> Vec<(u32, u32)> {
        let partition = crate::nemesis::named("partition").map(|f| f.shade().color);
        let shade = hex_color(partition.unwrap_or_default()).mix(0.6);
        let expect = |c: u8| (f64::from(c) * 0.6 + 255.0 * 0.4) as i32;
        let (r, g, b) = (expect(shade.0), expect(shade.1), expect(shade.2));
        let near = |p: &[u8]| {
            (i32::from(p[0]) - r).abs() <= 2
                && (i32::from(p[1]) - g).abs() <= 2
                && (i32::from(p[2]) - b).abs() <= 2
        };
        let rows = HEIGHT / 3..2 * HEIGHT / 3;
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for x in 0..WIDTH {
            let shaded = rows
                .clone()
                .filter(|y| near(&buf[((y * WIDTH + x) * 3) as usize..][..3]))
                .count();
            if shaded * 2 > rows.len() {
                // Grid lines, darker under the shade, cut a span by a pixel or two.
                match runs.last_mut() {
                    Some(run) if run.1 + 3 >= x => run.1 = x,
                    _ => runs.push((x, x)),
                }
            }
        }
        runs
    }

    /// Every plot shades exactly the two partitions, in proportion (2 s then 3 s, 2 s apart).
    #[test]
    fn nemesis_spans_are_shaded() {
        for plot in PLOTS {
            let runs = shaded_runs(&pixels(plot));
            assert_eq!(runs.len(), 2, "{plot:?}: {runs:?}");
            let width = |(a, b): (u32, u32)| f64::from(b - a + 1);
            let ratio = width(runs[1]) / width(runs[0]);
            assert!((ratio - 1.5).abs() < 0.1, "{plot:?}: widths {runs:?}");
            let gap = f64::from(runs[1].0 - runs[0].1) / width(runs[0]);
            assert!((gap - 1.0).abs() < 0.1, "{plot:?}: gap {runs:?}");
        }
    }

    /// A history without a nemesis shades nothing but still draws points.
    #[test]
    fn no_nemesis_no_shade() {
        let mut h = history();
        h.retain(|op| op.is_client());
        let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            render(&root, &h, Plot::LatencyRaw).expect("drawn");
            root.present().expect("presented");
        }
        assert!(shaded_runs(&buf).is_empty());
        let ok = type_color(OpType::Ok);
        let ok_pixels = buf.chunks(3).filter(|p| p == &[ok.0, ok.1, ok.2]).count();
        assert!(ok_pixels > 500, "{ok_pixels} pixels of ok points");
    }

    /// The files are PNGs of 900 x 400 with something drawn in them, even for an empty history.
    #[test]
    fn writes_pngs_of_the_right_size() {
        let dir = std::env::temp_dir().join(format!("maelstrom-perf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for history in [history(), Vec::new()] {
            for plot in PLOTS {
                assert_eq!(
                    write(&dir, &history, plot),
                    Ok(vec![plot.file_name().to_string()])
                );
                let png = std::fs::read(dir.join(plot.file_name())).expect("png");
                assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{plot:?}");
                let be = |at: usize| {
                    u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]])
                };
                assert_eq!((be(16), be(20)), (WIDTH, HEIGHT), "{plot:?}");
                assert!(png.len() > 5_000, "{plot:?}: {} bytes", png.len());
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
