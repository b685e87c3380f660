//! CloudWatch [Embedded Metric Format] (EMF): metrics written as one JSON log line that
//! CloudWatch Logs turns into metrics. No SDK call, no network, no background task: the
//! cost of a metric is formatting a line and writing it with the function's other logs.
//!
//! A line holds one or more [`Group`]s. Each group is one `CloudWatchMetrics` directive:
//! its metrics are published under its one dimension set. Dimension values and metric
//! values share the line's root object, so a dimension or metric name used by two groups
//! must carry the same value in both ([`Error::Conflict`]).
//!
//! Dimension values must come from a bounded set (an operation name, a reason code): each
//! distinct combination is a separate CloudWatch metric, billed as such. Never use a user
//! id, a channel or anything taken from a token as a dimension.
//!
//! Lambda's JSON log format does not wrap what a custom runtime writes to stdout, so the
//! line is written as is (e.g. with one `write_all` on a locked stdout, so it cannot
//! interleave with other log lines).
//!
//! # Example
//! ```
//! use cloudwatch_emf::{Group, Metric, Namespace, Unit, write_line};
//!
//! let namespace = Namespace::new("MyService").unwrap();
//! let mut line = String::new();
//! write_line(
//!     &mut line,
//!     &namespace,
//!     1_700_000_000_000,
//!     &[Group {
//!         dimensions: &[("Operation", "EVENT_CONNECT"), ("Outcome", "allow")],
//!         metrics: &[Metric::count("Decisions", 1)],
//!     }],
//! )
//! .unwrap();
//! assert!(line.starts_with(r#"{"_aws":{"Timestamp":1700000000000,"#));
//! assert!(line.ends_with("}\n"));
//! ```
//!
//! [Embedded Metric Format]: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

#![warn(missing_docs, unreachable_pub)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Most dimensions in one dimension set (the format's limit).
pub const MAX_DIMENSIONS: usize = 30;
/// Most metrics in one directive (the format's limit).
pub const MAX_METRICS: usize = 100;
/// Most values of one metric in one line (the format's limit).
pub const MAX_VALUES: usize = 100;
/// Longest namespace, metric name or dimension name, in bytes.
pub const MAX_NAME_LEN: usize = 255;
/// Longest dimension value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;

/// Why a line could not be written. The line buffer is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A namespace that CloudWatch would refuse.
    #[error(
        "invalid metrics namespace {0:?}: use 1-255 characters from letters, digits and . - _ / # : (space allowed, not only spaces)"
    )]
    Namespace(String),
    /// An empty or over-long name or value, or too many dimensions, metrics or values.
    #[error("invalid metric line: {0}")]
    Invalid(String),
    /// Two groups give one root member (dimension or metric) different values.
    #[error("{0:?} is used twice with different values; use distinct names")]
    Conflict(String),
    /// A metric value that is not a finite number.
    #[error("metric {0:?} has a value that is not a finite number")]
    NotFinite(String),
}

/// A validated CloudWatch namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// Validates `name` against CloudWatch's namespace rules.
    pub fn new(name: &str) -> Result<Self, Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || " .-_/#:".contains(c);
        if name.is_empty()
            || name.len() > MAX_NAME_LEN
            || name.trim().is_empty()
            || !name.chars().all(allowed)
            || name.starts_with(':')
        {
            return Err(Error::Namespace(name.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    /// The namespace text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A CloudWatch metric unit (the ones this project needs, and the common ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// `Count`.
    Count,
    /// `Milliseconds`.
    Milliseconds,
    /// `Microseconds`.
    Microseconds,
    /// `Seconds`.
    Seconds,
    /// `Bytes`.
    Bytes,
    /// `Percent`.
    Percent,
    /// `None`.
    None,
}

impl Unit {
    /// The unit's name in the format.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::Microseconds => "Microseconds",
            Self::Seconds => "Seconds",
            Self::Bytes => "Bytes",
            Self::Percent => "Percent",
            Self::None => "None",
        }
    }
}

/// The value(s) of one metric in a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values<'a> {
    /// One value.
    One(f64),
    /// Several values (CloudWatch aggregates them, e.g. for percentiles); at most
    /// [`MAX_VALUES`]. An empty list omits the metric from the line.
    Many(&'a [f64]),
}

/// One metric of a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric<'a> {
    /// The metric name.
    pub name: &'a str,
    /// Its unit.
    pub unit: Unit,
    /// Its value(s).
    pub values: Values<'a>,
}

impl<'a> Metric<'a> {
    /// A count.
    pub fn count(name: &'a str, n: u64) -> Self {
        Self {
            name,
            unit: Unit::Count,
            values: Values::One(n as f64),
        }
    }
}

/// Metrics published under one dimension set (one `CloudWatchMetrics` directive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group<'a> {
    /// `(name, value)` pairs; empty publishes the metrics without dimensions.
    pub dimensions: &'a [(&'a str, &'a str)],
    /// The metrics. A group whose metrics are all omitted is left out of the line.
    pub metrics: &'a [Metric<'a>],
}

/// Appends one EMF line (JSON and a trailing `\n`) to `out`: the `_aws` metadata object
/// with `timestamp_ms` (milliseconds since the epoch) and one directive per group, then the
/// dimension values and metric values as root members. Writes nothing when no group has
/// a metric to publish. On error `out` is left unchanged.
pub fn write_line(
    out: &mut String,
    namespace: &Namespace,
    timestamp_ms: u64,
    groups: &[Group<'_>],
) -> Result<(), Error> {
    let groups_with_metrics = || groups.iter().filter(|g| g.metrics.iter().any(present));
    if groups_with_metrics().next().is_none() {
        return Ok(());
    }
    for group in groups_with_metrics() {
        validate(group)?;
    }
    check_conflicts(groups)?;
    out.push_str(r#"{"_aws":{"Timestamp":"#);
    let _ = write!(out, "{timestamp_ms}");
    out.push_str(r#","CloudWatchMetrics":["#);
    for (i, group) in groups_with_metrics().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"Namespace":"#);
        push_json_str(out, namespace.as_str());
        out.push_str(r#","Dimensions":[["#);
        for (j, (name, _)) in group.dimensions.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_json_str(out, name);
        }
        out.push_str(r#"]],"Metrics":["#);
        for (j, metric) in group.metrics.iter().filter(|m| present(m)).enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(r#"{"Name":"#);
            push_json_str(out, metric.name);
            out.push_str(r#","Unit":"#);
            push_json_str(out, metric.unit.as_str());
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    let mut written: Vec<&str> = Vec::new();
    for group in groups_with_metrics() {
        for (name, value) in group.dimensions {
            if !written.contains(name) {
                written.push(name);
                member(out, name);
                push_json_str(out, value);
            }
        }
        for metric in group.metrics.iter().filter(|m| present(m)) {
            if written.contains(&metric.name) {
                continue;
            }
            written.push(metric.name);
            member(out, metric.name);
            push_values(out, metric);
        }
    }
    out.push_str("}\n");
    Ok(())
}

/// Formats lines into `buffer` (cleared first) with `format`, given the current time in
/// milliseconds since the Unix epoch, and writes them to stdout in one write on a locked
/// stdout, so they cannot interleave with a log line. Reusing `buffer` keeps the warm path
/// free of allocation.
///
/// # Errors
/// The error of `format`; then nothing is written. A failed write to stdout is ignored:
/// a metric is never worth failing an invocation for.
pub fn emit(
    buffer: &mut String,
    format: impl FnOnce(&mut String, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    buffer.clear();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    format(buffer, now_ms)?;
    let _ = std::io::stdout().lock().write_all(buffer.as_bytes());
    Ok(())
}

fn present(metric: &Metric<'_>) -> bool {
    !matches!(metric.values, Values::Many([]))
}

fn validate(group: &Group<'_>) -> Result<(), Error> {
    let name_ok = |n: &str| !n.is_empty() && n.len() <= MAX_NAME_LEN && n != "_aws";
    if group.dimensions.len() > MAX_DIMENSIONS {
        return Err(Error::Invalid(format!(
            "{} dimensions (at most {MAX_DIMENSIONS})",
            group.dimensions.len()
        )));
    }
    if group.metrics.len() > MAX_METRICS {
        return Err(Error::Invalid(format!(
            "{} metrics in one group (at most {MAX_METRICS})",
            group.metrics.len()
        )));
    }
    for (name, value) in group.dimensions {
        if !name_ok(name) {
            return Err(Error::Invalid(format!("dimension name {name:?}")));
        }
        if value.trim().is_empty() || value.len() > MAX_VALUE_LEN {
            return Err(Error::Invalid(format!(
                "dimension {name:?} has an empty or over-long value"
            )));
        }
    }
    for metric in group.metrics {
        if !name_ok(metric.name) {
            return Err(Error::Invalid(format!("metric name {:?}", metric.name)));
        }
        let values = match &metric.values {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(values) => values,
        };
        if values.len() > MAX_VALUES {
            return Err(Error::Invalid(format!(
                "metric {:?} has {} values (at most {MAX_VALUES})",
                metric.name,
                values.len()
            )));
        }
        if !values.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite(metric.name.to_owned()));
        }
    }
    Ok(())
}

/// Refuses a root member given two different values (a dimension used with two values, a
/// metric listed twice, or a metric named like a dimension).
fn check_conflicts(groups: &[Group<'_>]) -> Result<(), Error> {
    let mut dimensions: Vec<(&str, &str)> = Vec::new();
    let mut metrics: Vec<&Metric<'_>> = Vec::new();
    for group in groups {
        for &(name, value) in group.dimensions {
            match dimensions.iter().find(|(n, _)| *n == name) {
                Some((_, v)) if *v != value => return Err(Error::Conflict(name.to_owned())),
                Some(_) => {}
                None => dimensions.push((name, value)),
            }
        }
        for metric in group.metrics.iter().filter(|m| present(m)) {
            match metrics.iter().find(|m| m.name == metric.name) {
                Some(m) if *m != metric => return Err(Error::Conflict(metric.name.to_owned())),
                Some(_) => {}
                None => metrics.push(metric),
            }
        }
    }
    match metrics
        .iter()
        .find(|m| dimensions.iter().any(|(n, _)| *n == m.name))
    {
        Some(m) => Err(Error::Conflict(m.name.to_owned())),
        None => Ok(()),
    }
}

fn member(out: &mut String, name: &str) {
    out.push(',');
    push_json_str(out, name);
    out.push(':');
}

fn push_values(out: &mut String, metric: &Metric<'_>) {
    // Display prints whole numbers without a fraction ("1", not "1.0") and never uses an
    // exponent, so the text is valid JSON (values are finite: checked by `validate`).
    match metric.values {
        Values::One(v) => {
            let _ = write!(out, "{v}");
        }
        Values::Many(values) => {
            out.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{v}");
            }
            out.push(']');
        }
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
