//! Compile errors for channel and GraphQL rules.
//!
//! A bad rule stops the cold start, so every error names where it is (`channelRules[2]`
//! and the pattern text, or `graphqlRules[0] deniedFields[1]`) and says how to fix it.

use std::fmt;

use appsync_types::channel::MAX_SEGMENTS;

/// A rule in the configuration that cannot be compiled.
///
/// Displays as `<location>: <problem>`, for example
/// `channelRules[2] ("/users/{sub/*"): placeholder not closed; …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct RuleError {
    location: RuleLocation,
    problem: RuleProblem,
}

impl RuleError {
    pub(crate) fn new(location: RuleLocation, problem: RuleProblem) -> Self {
        Self { location, problem }
    }

    /// Where the rule is, e.g. `channelRules[2] ("/users/{sub/*") when[0]`.
    pub fn location(&self) -> String {
        self.location.to_string()
    }

    /// The index of the rule in its list (`channelRules` or `graphqlRules`).
    pub fn rule_index(&self) -> usize {
        self.location.index
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &RuleProblem {
        &self.problem
    }
}

/// Which list a rule came from and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleLocation {
    /// `channelRules` or `graphqlRules`: the config key of the list.
    pub(crate) list: &'static str,
    pub(crate) index: usize,
    /// The pattern of a channel rule, quoted in the message so the rule can be found.
    pub(crate) pattern: Option<String>,
    /// A part inside the rule, e.g. `when[0]` or `deniedFields[1]`.
    pub(crate) part: Option<(&'static str, usize)>,
}

impl RuleLocation {
    pub(crate) fn channel_rule(index: usize, pattern: &str) -> Self {
        Self {
            list: "channelRules",
            index,
            pattern: Some(pattern.to_owned()),
            part: None,
        }
    }

    pub(crate) fn graphql_rule(index: usize) -> Self {
        Self {
            list: "graphqlRules",
            index,
            pattern: None,
            part: None,
        }
    }

    pub(crate) fn part(&self, name: &'static str, index: usize) -> Self {
        Self {
            part: Some((name, index)),
            ..self.clone()
        }
    }
}

impl fmt::Display for RuleLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.list, self.index)?;
        if let Some(pattern) = &self.pattern {
            write!(f, " ({pattern:?})")?;
        }
        if let Some((name, index)) = self.part {
            write!(f, " {name}[{index}]")?;
        }
        Ok(())
    }
}

/// What is wrong with a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleProblem {
    /// The channel pattern does not start with `/`.
    #[error("the channel pattern must start with '/', e.g. \"/users/{{sub}}/*\"")]
    MissingLeadingSlash,
    /// `//`, a trailing `/`, or a pattern that is only `/`.
    #[error("the channel pattern has an empty segment (\"//\", a trailing '/', or just '/')")]
    EmptySegment,
    /// More than [`MAX_SEGMENTS`] segments, counting a trailing `*`.
    #[error("the channel pattern has more than {MAX_SEGMENTS} segments (a trailing '*' counts)")]
    TooManySegments,
    /// The first segment is a placeholder or `*`.
    #[error(
        "the first segment (the namespace) must be a literal namespace name, not a placeholder or '*'"
    )]
    NamespaceNotLiteral,
    /// The first segment is not a valid namespace name.
    #[error(
        "namespace {0:?} is not valid: use 1-50 of A-Z, a-z, 0-9 and '-', not starting or ending with '-'"
    )]
    InvalidNamespace(String),
    /// A literal segment outside the channel segment alphabet.
    #[error(
        "segment {0:?} is not a valid channel segment: use 1-50 of A-Z, a-z, 0-9 and '-', or a whole-segment placeholder such as {{sub}}"
    )]
    InvalidSegment(String),
    /// `{` without a closing `}` at the end of the segment.
    #[error("placeholder not closed; write a whole segment such as {{sub}}")]
    UnclosedPlaceholder,
    /// `{}`.
    #[error("placeholder is empty; name a claim, e.g. {{sub}} or {{app_metadata.org_id}}")]
    EmptyPlaceholder,
    /// A placeholder mixed with other text in one segment, e.g. `org-{id}`.
    #[error(
        "segment {0:?} mixes a placeholder with other text; a placeholder must be a whole segment"
    )]
    PartialPlaceholder(String),
    /// A claim path with an empty part or a character outside `A-Z a-z 0-9 _ : -`.
    #[error(
        "claim path {0:?} is not valid: use dot-separated names of A-Z, a-z, 0-9, '_', ':' and '-'"
    )]
    InvalidClaimPath(String),
    /// `*` anywhere but as the whole last segment.
    #[error("'*' is only allowed as the whole last segment, after the namespace")]
    MisplacedWildcard,
    /// `operations` is empty.
    #[error("operations is empty; list at least one of \"connect\", \"subscribe\", \"publish\"")]
    NoOperations,
    /// An operation other than `connect`, `subscribe` or `publish`.
    #[error(
        "unknown operation {0:?}; expected \"connect\", \"subscribe\" or \"publish\" (lower-case)"
    )]
    UnknownOperation(String),
    /// A condition with none, or more than one, of `equals`, `oneOf`, `exists`.
    #[error("a condition needs exactly one of \"equals\", \"oneOf\" or \"exists\" (found {0})")]
    ConditionTestCount(usize),
    /// `oneOf: []`, which can never hold.
    #[error("\"oneOf\" is empty, so the condition could never hold")]
    EmptyOneOf,
    /// `equals: null` or `null` inside `oneOf`.
    #[error("null is not a value to compare with; use \"exists\": false for \"absent or null\"")]
    NullValue,
    /// `deniedFields` is empty.
    #[error("\"deniedFields\" is empty; list fields such as \"Mutation.deleteItem\"")]
    NoDeniedFields,
    /// A denied field that is neither `Type.field` nor a field ARN.
    #[error(
        "field {0:?} is neither \"Type.field\" nor \"arn:aws:appsync:<region>:<account>:apis/<apiId>/types/<Type>/fields/<field>\""
    )]
    InvalidField(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_rule_its_pattern_and_the_problem() {
        let err = RuleError::new(
            RuleLocation::channel_rule(2, "/users/{sub/*"),
            RuleProblem::UnclosedPlaceholder,
        );
        assert!(
            err.to_string()
                .starts_with("channelRules[2] (\"/users/{sub/*\"): placeholder not closed"),
            "{err}"
        );
        assert_eq!(err.rule_index(), 2);
    }

    #[test]
    fn the_message_names_the_part_inside_the_rule() {
        let location = RuleLocation::graphql_rule(0).part("deniedFields", 1);
        let err = RuleError::new(location, RuleProblem::InvalidField("Mutation".into()));
        assert!(
            err.to_string()
                .starts_with("graphqlRules[0] deniedFields[1]: field \"Mutation\""),
            "{err}"
        );
    }
}
