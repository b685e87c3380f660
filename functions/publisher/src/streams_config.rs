//! The stream triggers' configuration: one channel pattern per source, read with the rest
//! of the configuration by [`crate::config::Config::from_lookup`].
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `PUBLISH_DYNAMODB_CHANNEL` | — | Channel of each DynamoDB Streams record, e.g. `/default/orders/{Keys.pk}`; placeholders `{Keys.<attr>}`, `{NewImage.<attr>}`, `{OldImage.<attr>}`, `{Image.<attr>}` (new image, else old). Required to accept DynamoDB Streams records. |
//! | `PUBLISH_KINESIS_CHANNEL` | — | Channel of each Kinesis record (JSON data), e.g. `/default/devices/{data.deviceId}`; placeholders `{partitionKey}`, `{data.<field>}`. Required to accept Kinesis records. |
//!
//! A malformed pattern stops the cold start naming the variable. Records from a source
//! whose pattern is unset fail the invocation (Lambda retries the batch; nothing is
//! skipped). docs/streams.md has the full reference.

use stream_events::{DynamoDbMapping, KinesisMapping};

use crate::error::FunctionError;

/// The channel mappings of the stream triggers; `None` where not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamsConfig {
    /// `PUBLISH_DYNAMODB_CHANNEL`.
    pub dynamodb: Option<DynamoDbMapping>,
    /// `PUBLISH_KINESIS_CHANNEL`.
    pub kinesis: Option<KinesisMapping>,
}

impl StreamsConfig {
    /// Reads the patterns through `var` (trimmed, empty counts as unset).
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let invalid = |name, e: stream_events::StreamEventError| FunctionError::Config {
            name,
            reason: e.to_string(),
        };
        Ok(Self {
            dynamodb: var("PUBLISH_DYNAMODB_CHANNEL")
                .map(|p| DynamoDbMapping::new(&p))
                .transpose()
                .map_err(|e| invalid("PUBLISH_DYNAMODB_CHANNEL", e))?,
            kinesis: var("PUBLISH_KINESIS_CHANNEL")
                .map(|p| KinesisMapping::new(&p))
                .transpose()
                .map_err(|e| invalid("PUBLISH_KINESIS_CHANNEL", e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<StreamsConfig, FunctionError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        StreamsConfig::from_lookup(&|name: &str| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn unset_patterns_leave_the_triggers_off() {
        assert_eq!(read(&[]).expect("valid"), StreamsConfig::default());
    }

    #[test]
    fn patterns_are_parsed_at_init_and_errors_name_the_variable() {
        let c = read(&[
            ("PUBLISH_DYNAMODB_CHANNEL", "/default/orders/{Keys.pk}"),
            ("PUBLISH_KINESIS_CHANNEL", "/default/devices/{partitionKey}"),
        ])
        .expect("valid");
        assert_eq!(
            c.dynamodb.as_ref().map(DynamoDbMapping::pattern),
            Some("/default/orders/{Keys.pk}")
        );
        assert!(c.kinesis.is_some());
        for (name, pattern) in [
            ("PUBLISH_DYNAMODB_CHANNEL", "/{Keys.ns}/orders"),
            ("PUBLISH_DYNAMODB_CHANNEL", "/default/{data.x}"),
            ("PUBLISH_KINESIS_CHANNEL", "/default/{Keys.pk}"),
        ] {
            match read(&[(name, pattern)]) {
                Err(FunctionError::Config { name: n, .. }) => assert_eq!(n, name, "{pattern}"),
                other => panic!("{pattern}: {other:?}"),
            }
        }
    }
}
