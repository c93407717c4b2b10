//! The progress bar on standard error: documents and bytes read, the rate, and the time left when
//! the inputs' total size is known. Sizes are in decimal units (MB), as every summary gives them.
//! It is drawn only for a person watching: never when standard error is not a terminal, never with
//! `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often the counts shown are refreshed.
const REFRESH: Duration = Duration::from_millis(100);

/// A progress display for the reading phase (hidden when it should not be seen).
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    last_update: Option<Instant>,
}

/// The bar's layout, with a bar and the time left when the total is known. Byte counts use
/// indicatif's decimal keys (`MB`), not its binary ones (`MiB`).
fn template(total: Option<u64>) -> &'static str {
    match total {
        Some(_) => {
            "{spinner} {prefix} {msg}  {decimal_bytes}/{decimal_total_bytes} {wide_bar} {decimal_bytes_per_sec}  ETA {eta}"
        }
        None => "{spinner} {prefix} {msg}  {decimal_bytes}  {decimal_bytes_per_sec}",
    }
}

/// Whether a progress bar should be drawn.
pub fn wanted(quiet: bool, stderr_is_terminal: bool) -> bool {
    !quiet && stderr_is_terminal
}

impl Progress {
    /// A bar for reading `total` raw bytes (unknown: `None`), drawn only when
    /// [`wanted`] says so for this process's standard error.
    pub fn for_stderr(quiet: bool, total: Option<u64>) -> Progress {
        if wanted(quiet, std::io::stderr().is_terminal()) {
            Progress::drawn(total)
        } else {
            Progress::hidden()
        }
    }

    /// A spinner naming a phase that has no count to show (writing the report), drawn only when
    /// [`wanted`] says so.
    pub fn phase_for_stderr(quiet: bool, phase: &str) -> Progress {
        let progress = Progress::for_stderr(quiet, None);
        if !progress.bar.is_hidden() {
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix}  {elapsed}") {
                progress.bar.set_style(style);
            }
            progress.bar.set_prefix(phase.to_string());
        }
        progress
    }

    /// A bar that draws nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            started: Instant::now(),
            last_update: None,
        }
    }

    fn drawn(total: Option<u64>) -> Progress {
        let template = template(total);
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("reading");
        bar.enable_steady_tick(REFRESH);
        Progress {
            bar,
            started: Instant::now(),
            last_update: None,
        }
    }

    /// Shows `documents` read and `bytes` of input taken so far; cheap to call for every document.
    pub fn update(&mut self, documents: u64, bytes: u64) {
        if self.bar.is_hidden() {
            return;
        }
        let now = Instant::now();
        if self
            .last_update
            .is_some_and(|last| now.duration_since(last) < REFRESH)
        {
            return;
        }
        self.last_update = Some(now);
        let seconds = now.duration_since(self.started).as_secs_f64().max(1e-3);
        self.bar.set_position(bytes);
        self.bar.set_message(format!(
            "{documents} documents ({:.0}/s)",
            documents as f64 / seconds
        ));
    }

    /// Runs `print` with the bar taken off the screen, so that messages do not tear it.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }

    /// What shows the phases of a scan past its memory budget on this bar.
    pub fn phases(&self) -> PhaseDisplay {
        PhaseDisplay {
            bar: self.bar.clone(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_only_for_a_terminal_and_not_when_quiet() {
        assert!(wanted(false, true));
        assert!(!wanted(true, true));
        assert!(!wanted(false, false));
        assert!(!wanted(true, false));
    }

    #[test]
    fn sizes_in_decimal_units_like_the_summary() {
        for total in [Some(1), None] {
            let template = template(total);
            assert!(ProgressStyle::with_template(template).is_ok());
            assert!(template.contains("{decimal_bytes}"), "{template}");
            assert!(!template.contains("{bytes"), "{template}");
            assert!(!template.contains("{total_bytes"), "{template}");
        }
    }

    #[test]
    fn a_hidden_bar_ignores_updates() {
        let mut progress = Progress::hidden();
        progress.update(10, 100);
        assert_eq!(progress.bar.position(), 0);
        assert_eq!(progress.suspend(|| 7), 7);
        progress.finish();
    }
}

/// Shows the phase a scan past its memory budget is in (spill, merge band i/b, verify, members)
/// on the progress bar; drawn only where the bar is.
#[derive(Clone)]
pub struct PhaseDisplay {
    bar: ProgressBar,
}

impl PhaseDisplay {
    /// Shows `phase`: while reading, that the tables now go to disk; after, the phase alone.
    pub fn show(&self, phase: &paradup::scan::SpillPhase) {
        if self.bar.is_hidden() {
            return;
        }
        match phase {
            paradup::scan::SpillPhase::Spill { .. } => self.bar.set_prefix("reading (spill)"),
            other => {
                if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix}  {elapsed}") {
                    self.bar.set_style(style);
                }
                self.bar.set_prefix(other.to_string());
            }
        }
    }
}
