//! Figures, ratios and the machine they were measured on.

use std::fmt::Write as _;
use std::time::Duration;

/// Latency distribution of a set of samples.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
}

impl Latency {
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples
                .get(i.min(samples.len() - 1))
                .copied()
                .unwrap_or_default()
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
        }
    }

    pub fn describe(&self) -> String {
        format!("p50 {} / p99 {}", millis(self.p50), millis(self.p99))
    }
}

/// A rate from a count and the time it took.
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Whether a ratio (or, for costs, the figure itself) must be at least,
/// or at most, its target.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    None,
}

/// One line of the final table.
#[derive(Clone, Debug)]
pub struct Figure {
    pub item: String,
    pub measured: String,
    pub baseline: String,
    pub ratio: Option<f64>,
    pub target: Target,
}

impl Figure {
    pub fn plain(item: impl Into<String>, measured: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            measured: measured.into(),
            baseline: String::new(),
            ratio: None,
            target: Target::None,
        }
    }

    pub fn ratio(
        item: impl Into<String>,
        measured: impl Into<String>,
        baseline: impl Into<String>,
        ratio: f64,
        target: Target,
    ) -> Self {
        Self {
            item: item.into(),
            measured: measured.into(),
            baseline: baseline.into(),
            ratio: Some(ratio),
            target,
        }
    }

    fn verdict(&self) -> &'static str {
        match (self.target, self.ratio) {
            (Target::AtLeast(t), Some(r)) if r >= t => "met",
            (Target::AtLeast(_), Some(_)) => "NOT met",
            (Target::AtMost(t), Some(r)) if r <= t => "met",
            (Target::AtMost(_), Some(_)) => "NOT met",
            _ => "",
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::AtLeast(t) => format!(">= {t:.2}"),
            Target::AtMost(t) => format!("<= {t:.2}"),
            Target::None => String::new(),
        }
    }
}

/// The figures of one run, printed as they come and as a table at the end.
#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn add(&mut self, figure: Figure) {
        let ratio = figure
            .ratio
            .map(|r| format!("  ratio {r:.2}"))
            .unwrap_or_default();
        println!("  -> {}: {}{ratio}", figure.item, figure.measured);
        self.figures.push(figure);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        println!("  note: {note}");
        self.notes.push(note);
    }

    /// A Markdown table (also readable as plain text).
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| # | figure | measured | baseline (same run) | ratio | target | |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for (i, f) in self.figures.iter().enumerate() {
            let ratio = f.ratio.map(|r| format!("{r:.2}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                f.item,
                f.measured,
                f.baseline,
                ratio,
                f.target_text(),
                f.verdict()
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

/// nproc, memory, CPU model, load: the conditions of the run.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown")
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib = kib_field(&meminfo, "MemTotal:").unwrap_or(0);
    format!(
        "{cpus} CPUs ({model}), {:.1} GiB RAM, load average {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        load_average()
    )
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// A `Key:   1234 kB` field of a /proc file, in KiB.
pub fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Resident and peak memory of a process (`self` or a pid), in MiB.
pub fn resident_mib(pid: Option<u32>) -> Option<(f64, f64)> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let rss = kib_field(&status, "VmRSS:")?;
    let hwm = kib_field(&status, "VmHWM:").unwrap_or(rss);
    Some((rss as f64 / 1024.0, hwm as f64 / 1024.0))
}
