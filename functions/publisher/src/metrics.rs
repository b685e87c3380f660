//! Metrics as CloudWatch Embedded Metric Format lines ([`cloudwatch_emf`]), one per
//! invocation that published, written to stdout with the function's logs. No SDK, no
//! network. The only dimension is `FunctionName` (bounded: one per function).
//!
//! | Metric | Unit | Meaning |
//! |---|---|---|
//! | `EventsPublished` | Count | events the service confirmed |
//! | `EventsFailed` | Count | events not published (refused, failed, or out of time) |
//! | `PublishRetries` | Count | HTTP requests that were retries |
//! | `RequestLatency` | Milliseconds | time to the response of each HTTP request (up to 100 values a line; more go on further lines) |

use cloudwatch_emf::{Group, MAX_VALUES, Metric, Namespace, Unit, Values, write_line};
use events_publisher::PublishReport;

/// Where metrics go.
#[derive(Debug)]
pub struct Metrics {
    namespace: Namespace,
    function_name: String,
}

impl Metrics {
    /// Metrics under `namespace`, dimensioned by `function_name`.
    pub fn new(namespace: Namespace, function_name: String) -> Self {
        Self {
            namespace,
            function_name,
        }
    }

    /// Formats the lines for one publish report into `out`.
    pub fn format(
        &self,
        out: &mut String,
        report: &PublishReport,
        timestamp_ms: u64,
    ) -> Result<(), cloudwatch_emf::Error> {
        let dimensions = [("FunctionName", self.function_name.as_str())];
        let latencies: Vec<f64> = report
            .request_latencies
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        let mut chunks = latencies.chunks(MAX_VALUES);
        let latency = |values| Metric {
            name: "RequestLatency",
            unit: Unit::Milliseconds,
            values: Values::Many(values),
        };
        let counts = [
            Metric::count("EventsPublished", report.published() as u64),
            Metric::count("EventsFailed", report.failures().count() as u64),
            Metric::count("PublishRetries", report.retries as u64),
            latency(chunks.next().unwrap_or(&[])),
        ];
        write_line(
            out,
            &self.namespace,
            timestamp_ms,
            &[Group {
                dimensions: &dimensions,
                metrics: &counts,
            }],
        )?;
        for chunk in chunks {
            write_line(
                out,
                &self.namespace,
                timestamp_ms,
                &[Group {
                    dimensions: &dimensions,
                    metrics: &[latency(chunk)],
                }],
            )?;
        }
        Ok(())
    }

    /// Writes the lines for one publish report to stdout.
    pub fn record(&self, report: &PublishReport) {
        let mut lines = String::with_capacity(512);
        let written = cloudwatch_emf::emit(&mut lines, |out, now| self.format(out, report, now));
        if let Err(error) = written {
            tracing::warn!(%error, "metrics line not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use events_publisher::{EventFailure, InputOutcome};
    use serde_json::{Value, json};

    use super::*;

    fn report(latencies_ms: &[u64]) -> PublishReport {
        PublishReport {
            inputs: vec![InputOutcome {
                channel: "/default/a".into(),
                published: 3,
                failures: vec![EventFailure {
                    channel: "/default/a".into(),
                    index: 3,
                    reason: "HTTP 500".into(),
                }],
                refused: None,
            }],
            requests: latencies_ms.len(),
            retries: 2,
            request_latencies: latencies_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
        }
    }

    fn metrics() -> Metrics {
        Metrics::new(Namespace::new("Test").expect("ns"), "pub-1".into())
    }

    #[test]
    fn a_report_is_one_line_of_counts_and_latencies() {
        let mut out = String::new();
        metrics()
            .format(&mut out, &report(&[12, 30, 7]), 5)
            .expect("formats");
        let value: Value = serde_json::from_str(&out).expect("one JSON line");
        assert_eq!(
            value,
            json!({
                "_aws": {"Timestamp": 5, "CloudWatchMetrics": [
                    {"Namespace": "Test", "Dimensions": [["FunctionName"]], "Metrics": [
                        {"Name": "EventsPublished", "Unit": "Count"},
                        {"Name": "EventsFailed", "Unit": "Count"},
                        {"Name": "PublishRetries", "Unit": "Count"},
                        {"Name": "RequestLatency", "Unit": "Milliseconds"}
                    ]}
                ]},
                "FunctionName": "pub-1", "EventsPublished": 3, "EventsFailed": 1,
                "PublishRetries": 2, "RequestLatency": [12, 30, 7]
            })
        );
        assert!(!out.contains("/default/a"), "no channel in metrics");
    }

    #[test]
    fn more_than_100_latencies_continue_on_further_lines() {
        let mut out = String::new();
        let latencies: Vec<u64> = (0..250).collect();
        metrics()
            .format(&mut out, &report(&latencies), 5)
            .expect("formats");
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["EventsPublished"], 3);
        assert_eq!(
            lines[0]["RequestLatency"].as_array().map(Vec::len),
            Some(100)
        );
        assert_eq!(
            lines[2]["RequestLatency"].as_array().map(Vec::len),
            Some(50)
        );
        assert!(lines[1].get("EventsPublished").is_none());
    }

    #[test]
    fn nothing_sent_still_counts_the_events() {
        let mut out = String::new();
        metrics()
            .format(&mut out, &report(&[]), 5)
            .expect("formats");
        let value: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(value["EventsFailed"], 1);
        assert!(value.get("RequestLatency").is_none());
    }
}
