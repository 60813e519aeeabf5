//! Progress of a long command-line run (`seed --demo`, `import calls`), on stderr.
//!
//! On a terminal, an indicatif bar redrawn in place. Anywhere else (a pipe,
//! a log file, a test) a plain line at each tenth, so logs never get cursor
//! movements or carriage returns, and a long import still shows it is alive.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    verb: &'static str,
    unit: &'static str,
    stage: Mutex<Stage>,
}

struct Stage {
    what: String,
    bar: Option<ProgressBar>,
    last_tenth: Option<usize>,
    /// Where plain lines go; `None` on a terminal, where the bar draws.
    lines: Option<Box<dyn Write + Send>>,
}

impl Progress {
    /// `verb` and `unit` frame each stage: "importing calls: 40/120 rows (33%)".
    pub fn new(verb: &'static str, unit: &'static str) -> Self {
        let lines: Option<Box<dyn Write + Send>> = if std::io::stderr().is_terminal() {
            None
        } else {
            Some(Box::new(std::io::stderr()))
        };
        Self::with_lines(verb, unit, lines)
    }

    fn with_lines(
        verb: &'static str,
        unit: &'static str,
        lines: Option<Box<dyn Write + Send>>,
    ) -> Self {
        Self {
            verb,
            unit,
            stage: Mutex::new(Stage {
                what: String::new(),
                bar: None,
                last_tenth: None,
                lines,
            }),
        }
    }

    /// `done` of `total` in stage `what`; a new `what` ends the previous stage.
    pub fn update(&self, what: &str, done: usize, total: usize) {
        let Ok(mut stage) = self.stage.lock() else {
            return; // A panic elsewhere; progress is not worth a second one.
        };
        if stage.what != what {
            stage.end();
            stage.what = what.to_string();
            stage.last_tenth = None;
        }
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let label = format!("{} {what}", self.verb);
        let unit = self.unit;
        if stage.lines.is_some() {
            if stage.due(done, total) {
                if let Some(lines) = stage.lines.as_mut() {
                    let _ = writeln!(lines, "{label}: {done}/{total} {unit} ({percent}%)");
                    let _ = lines.flush();
                }
            }
        } else {
            let bar = stage
                .bar
                .get_or_insert_with(|| terminal_bar(label, unit, total));
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        if done >= total {
            stage.end();
        }
    }

    /// Ends the bar on a terminal (leaving its last state on screen).
    pub fn finish(&self) {
        if let Ok(mut stage) = self.stage.lock() {
            stage.end();
        }
    }
}

impl Stage {
    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
            // indicatif leaves the cursor after the bar; the report starts a line of its own.
            eprintln!();
        }
    }

    fn due(&mut self, done: usize, total: usize) -> bool {
        let tenth = (done * 10).checked_div(total).unwrap_or(10);
        self.last_tenth.replace(tenth) != Some(tenth)
    }
}

fn terminal_bar(label: String, unit: &'static str, total: usize) -> ProgressBar {
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({percent}%)")
        .map(|s| s.progress_chars("#>-"))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(label)
        .with_message(unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A stderr stand-in the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().map(|b| b.clone()).unwrap_or_default())
                .unwrap_or_default()
        }
    }

    #[test]
    fn off_a_terminal_it_writes_a_plain_line_per_tenth_and_no_control_characters() {
        let captured = Captured::default();
        let progress = Progress::with_lines("importing", "rows", Some(Box::new(captured.clone())));
        for done in 0..=1000 {
            progress.update("calls", done, 1000);
        }
        progress.finish();
        let text = captured.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11, "0%, 10%, ... 100%:\n{text}");
        assert_eq!(lines[0], "importing calls: 0/1000 rows (0%)");
        assert_eq!(lines[3], "importing calls: 300/1000 rows (30%)");
        assert_eq!(lines[10], "importing calls: 1000/1000 rows (100%)");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "no carriage return or escape sequence: {text:?}"
        );
    }

    #[test]
    fn each_stage_starts_its_own_tenths() {
        let captured = Captured::default();
        let progress =
            Progress::with_lines("seeding", "commands", Some(Box::new(captured.clone())));
        for done in [0, 1, 2] {
            progress.update("calls", done, 2);
        }
        for done in [0, 3] {
            progress.update("cases", done, 3);
        }
        assert_eq!(
            captured.text(),
            "seeding calls: 0/2 commands (0%)\n\
             seeding calls: 1/2 commands (50%)\n\
             seeding calls: 2/2 commands (100%)\n\
             seeding cases: 0/3 commands (0%)\n\
             seeding cases: 3/3 commands (100%)\n"
        );
    }

    #[test]
    fn nothing_to_do_is_done() {
        let captured = Captured::default();
        let progress = Progress::with_lines("importing", "rows", Some(Box::new(captured.clone())));
        progress.update("calls", 0, 0);
        assert_eq!(captured.text(), "importing calls: 0/0 rows (100%)\n");
    }
}
