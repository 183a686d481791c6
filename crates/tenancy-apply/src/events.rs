//! What an apply tells the person running it: a live multi-line display on a terminal, one
//! line per event otherwise, or a JSON event stream (`--format json`).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use super::engine::{Outcome, Report, StepReport};
use tenancy::plan::StepId;

pub enum Event<'a> {
    Started { step: &'a StepId, kind: &'a str },
    Retrying { step: &'a StepId, attempt: u32, delay: Duration, error: &'a str },
    Finished { report: &'a StepReport },
    Summary { report: &'a Report },
}

pub trait Sink: Send + Sync {
    fn event(&self, event: &Event);
}

/// Discards events (tests, benchmarks).
pub struct Quiet;

impl Sink for Quiet {
    fn event(&self, _: &Event) {}
}

fn outcome_detail(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied { summary } | Outcome::Planned { summary } | Outcome::Removed { summary } => {
            summary.join("; ")
        }
        Outcome::Skipped { because } => format!("because {because} failed"),
        Outcome::Cancelled { reason } => format!("not started: {reason}"),
        Outcome::Interrupted => {
            "cut off by the interrupt: what it started may still be running; the next apply takes it up".into()
        }
        Outcome::Failed { error } => error.clone(),
        Outcome::Unchanged => String::new(),
    }
}

/// A summary line per outcome and the root causes.
fn summary_lines(report: &Report) -> Vec<String> {
    let interrupted = match report.count("interrupted") {
        0 => String::new(),
        n => format!(", {n} interrupted"),
    };
    let mut lines = vec![format!(
        "{} applied, {} unchanged, {} planned, {} removed, {} skipped, {} failed{interrupted} in {:.1}s{}",
        report.count("applied"),
        report.count("unchanged"),
        report.count("planned"),
        report.count("removed"),
        report.count("skipped") + report.count("cancelled"),
        report.count("failed"),
        report.wall.as_secs_f64(),
        report.stopped.as_ref().map(|why| format!("; stopped early: {why}")).unwrap_or_default(),
    )];
    for cause in report.root_causes() {
        lines.push(format!("failed: {}: {}", cause.id, outcome_detail(&cause.outcome)));
    }
    lines
}

/// One line per event on standard error: logs, CI, pipes.
pub struct Lines;

impl Sink for Lines {
    fn event(&self, event: &Event) {
        let mut err = std::io::stderr().lock();
        let _ = match event {
            Event::Started { step, kind } => writeln!(err, "start     {step} ({kind})"),
            Event::Retrying { step, attempt, delay, error } => {
                writeln!(
                    err,
                    "retry     {step}: attempt {attempt} failed ({error}); next in {:.1}s",
                    delay.as_secs_f64()
                )
            }
            Event::Finished { report } => writeln!(
                err,
                "{:<9} {} {:.1}s {}",
                report.outcome.label(),
                report.id,
                report.duration.as_secs_f64(),
                outcome_detail(&report.outcome)
            ),
            Event::Summary { report } => summary_lines(report).iter().try_for_each(|l| writeln!(err, "{l}")),
        };
    }
}

/// One JSON object per line on standard output.
pub struct JsonLines;

impl Sink for JsonLines {
    fn event(&self, event: &Event) {
        let value = match event {
            Event::Started { step, kind } => json!({"event": "started", "step": step, "kind": kind}),
            Event::Retrying { step, attempt, delay, error } => {
                json!({"event": "retrying", "step": step, "attempt": attempt, "delaySeconds": delay.as_secs_f64(), "error": error})
            }
            Event::Finished { report } => json!({
                "event": "finished", "step": report.id, "kind": report.kind, "outcome": report.outcome.label(),
                "seconds": report.duration.as_secs_f64(), "attempts": report.attempts, "detail": outcome_detail(&report.outcome),
            }),
            Event::Summary { report } => json!({
                "event": "summary", "applied": report.count("applied"), "unchanged": report.count("unchanged"),
                "planned": report.count("planned"), "removed": report.count("removed"),
                "skipped": report.count("skipped") + report.count("cancelled"), "failed": report.count("failed"),
                "interrupted": report.count("interrupted"), "stopped": report.stopped,
                "seconds": report.wall.as_secs_f64(),
                "rootCauses": report.root_causes().iter().map(|r| json!({"step": r.id, "error": outcome_detail(&r.outcome)})).collect::<Vec<_>>(),
            }),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
    }
}

/// A live display on a terminal: a spinner per running step, a line per finished one.
pub struct Live {
    bars: MultiProgress,
    running: Mutex<Vec<(StepId, ProgressBar)>>,
}

impl Live {
    pub fn new() -> Self {
        Self { bars: MultiProgress::new(), running: Mutex::new(Vec::new()) }
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for Live {
    fn event(&self, event: &Event) {
        let mut running = self.running.lock().expect("progress lock");
        match event {
            Event::Started { step, kind } => {
                let bar = self.bars.add(ProgressBar::new_spinner());
                bar.set_style(ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("a valid template"));
                bar.set_message(format!("{step} ({kind})"));
                bar.enable_steady_tick(Duration::from_millis(120));
                running.push(((*step).clone(), bar));
            }
            Event::Retrying { step, attempt, error, .. } => {
                if let Some((_, bar)) = running.iter().find(|(id, _)| id == *step) {
                    bar.set_message(format!("{step}: retrying after attempt {attempt} ({error})"));
                }
            }
            Event::Finished { report } => {
                if let Some(i) = running.iter().position(|(id, _)| *id == report.id) {
                    running.remove(i).1.finish_and_clear();
                }
                let _ = self.bars.println(format!(
                    "{:<9} {} {:.1}s {}",
                    report.outcome.label(),
                    report.id,
                    report.duration.as_secs_f64(),
                    outcome_detail(&report.outcome)
                ));
            }
            Event::Summary { report } => {
                for line in summary_lines(report) {
                    let _ = self.bars.println(line);
                }
            }
        }
    }
}

/// The live display on a terminal, lines otherwise.
pub fn human() -> Box<dyn Sink> {
    if std::io::stderr().is_terminal() { Box::new(Live::new()) } else { Box::new(Lines) }
}
