//! The doctor's output: one line per step with its verdict, and the fix under a failure
//! or a warning. Never given a token or a secret to print.

use std::io::Write;

/// A step's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The step passed.
    Ok,
    /// Works, but worth changing.
    Warn,
    /// Requests will be denied (or the function will not start) because of this.
    Fail,
    /// Context, no verdict.
    Info,
}

/// Collects verdicts and prints them as they come.
#[derive(Debug)]
pub struct Report<W: Write> {
    out: W,
    /// Steps that failed.
    pub failures: usize,
    /// Steps with a warning.
    pub warnings: usize,
}

impl<W: Write> Report<W> {
    /// A report printing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            failures: 0,
            warnings: 0,
        }
    }

    /// Prints one step.
    pub fn step(&mut self, verdict: Verdict, step: &str, detail: &str, fix: Option<&str>) {
        let label = match verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
            Verdict::Info => "    ",
        };
        match verdict {
            Verdict::Fail => self.failures += 1,
            Verdict::Warn => self.warnings += 1,
            _ => {}
        }
        let _ = writeln!(self.out, "{label}  {step}: {detail}");
        if let Some(fix) = fix {
            let _ = writeln!(self.out, "      fix: {fix}");
        }
    }

    /// A passed step.
    pub fn ok(&mut self, step: &str, detail: &str) {
        self.step(Verdict::Ok, step, detail, None);
    }

    /// Context.
    pub fn info(&mut self, step: &str, detail: &str) {
        self.step(Verdict::Info, step, detail, None);
    }

    /// A warning and its fix.
    pub fn warn(&mut self, step: &str, detail: &str, fix: &str) {
        self.step(Verdict::Warn, step, detail, Some(fix));
    }

    /// A failure and its fix.
    pub fn fail(&mut self, step: &str, detail: &str, fix: &str) {
        self.step(Verdict::Fail, step, detail, Some(fix));
    }

    /// The closing line.
    pub fn summary(&mut self) {
        let _ = writeln!(
            self.out,
            "\n{} failed, {} warning(s)",
            self.failures, self.warnings
        );
    }
}
