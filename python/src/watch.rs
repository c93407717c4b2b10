//! What a long call looks at between batches, with the GIL released the rest of the time: Ctrl-C
//! (Python's signal handlers run only on the main thread, so the loop that reads stays on the
//! calling thread and only the engine's work goes to the worker threads), and the progress the
//! caller asked for (`progress=` of `scan` and `compare`). Nothing is drawn unless asked for.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::time::{Duration, Instant};

/// How often progress is reported, at most (a new phase is reported at once).
const REPORT_EVERY: Duration = Duration::from_millis(200);

/// Ctrl-C and the progress callback of one call.
pub struct Watch {
    progress: Option<Py<PyAny>>,
    phase: &'static str,
    last_report: Option<Instant>,
}

impl Watch {
    /// Reports to `progress` (called as `progress(phase, documents, bytes)`), if given.
    pub fn new(progress: Option<Py<PyAny>>) -> Watch {
        Watch {
            progress,
            phase: "",
            last_report: None,
        }
    }

    /// Between two batches: raises `KeyboardInterrupt` after Ctrl-C (or the exception of another
    /// signal handler), and tells the progress callback how far `phase` has come. Takes the GIL
    /// for a moment; call it with the GIL released.
    pub fn tick(&mut self, phase: &'static str, documents: u64, bytes: u64) -> PyResult<()> {
        let now = Instant::now();
        let due = phase != self.phase
            || self
                .last_report
                .is_none_or(|last| now.duration_since(last) >= REPORT_EVERY);
        Python::attach(|py| {
            py.check_signals()?;
            if let (Some(progress), true) = (&self.progress, due) {
                progress.call1(py, (phase, documents, bytes))?;
            }
            Ok::<(), PyErr>(())
        })?;
        if due {
            self.phase = phase;
            self.last_report = Some(now);
        }
        Ok(())
    }
}

/// The worker threads of one call: its own pool of `threads`, or rayon's global pool (one a
/// core) for 0.
pub struct Threads(Option<rayon::ThreadPool>);

impl Threads {
    /// Checks `threads` and builds the pool.
    pub fn new(threads: usize) -> PyResult<Threads> {
        if threads == 0 {
            return Ok(Threads(None));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| Threads(Some(pool)))
            .map_err(|e| PyValueError::new_err(format!("threads={threads}: {e}")))
    }

    /// Runs `work` with its parallel parts on these threads.
    pub fn run<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        match &self.0 {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }
}
