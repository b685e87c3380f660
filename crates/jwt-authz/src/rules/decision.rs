//! What the channel rules are asked ([`Operation`]) and what they answer ([`RuleDecision`]).

use std::fmt;

use appsync_types::EventsOperation;

/// An AppSync Events operation a rule can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `EVENT_CONNECT`: the WebSocket handshake. Config name `connect`.
    Connect,
    /// `EVENT_SUBSCRIBE`: a subscription, possibly to a wildcard. Config name `subscribe`.
    Subscribe,
    /// `EVENT_PUBLISH`: a WebSocket or HTTP publish. Config name `publish`.
    Publish,
}

impl Operation {
    /// Every operation, in config order.
    pub const ALL: [Self; 3] = [Self::Connect, Self::Subscribe, Self::Publish];

    /// The name used in rule configuration: `connect`, `subscribe`, `publish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Subscribe => "subscribe",
            Self::Publish => "publish",
        }
    }

    /// Parses a configuration name (exact, lower-case).
    pub fn from_config(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// Maps the operation of an Events authorizer request; `None` for an unknown one,
    /// which the caller should deny.
    pub fn from_events(operation: &EventsOperation) -> Option<Self> {
        match operation {
            EventsOperation::Connect => Some(Self::Connect),
            EventsOperation::Subscribe => Some(Self::Subscribe),
            EventsOperation::Publish => Some(Self::Publish),
            EventsOperation::Unknown(_) => None,
        }
    }

    pub(crate) fn bit(self) -> u8 {
        match self {
            Self::Connect => 1,
            Self::Subscribe => 2,
            Self::Publish => 4,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer of [`ChannelRules::decide`](super::ChannelRules::decide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleDecision {
    /// No rule concerns this operation (no rules at all, or connect with no rule listing
    /// `connect`): allowed, and the answer did not depend on the channel or the rules.
    Unrestricted,
    /// A rule granted the operation.
    Allowed {
        /// Whether the answer depended on the requested channel (always for subscribe and
        /// publish, never for connect). Such answers must not be cached by AppSync
        /// (`ttlOverride: 0`), since its cache key may not include the channel.
        depends_on_channel: bool,
    },
    /// No rule granted the operation.
    Denied(RuleDenial),
}

impl RuleDecision {
    /// Whether the operation may go ahead.
    pub fn is_allowed(self) -> bool {
        !matches!(self, Self::Denied(_))
    }
}

/// Why the rules denied an operation: the most specific reason found over all rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleDenial {
    /// Subscribe or publish without a channel in the request.
    MissingChannel,
    /// Publish to a wildcard channel: events go to one concrete channel.
    PublishToWildcard,
    /// Rules are configured, but none lists this operation.
    NoRuleForOperation,
    /// Some rules list the operation, but none of their patterns matches the channel
    /// (including a placeholder whose claim is missing, unusable, or different).
    NoMatchingRule,
    /// A wildcard was requested and a rule matches part of it, but no single rule matches
    /// every channel it could name (e.g. `/users/*` against `/users/{sub}/*`).
    WildcardTooBroad,
    /// A rule's pattern matches (or, for connect, a rule lists `connect`), but its
    /// conditions do not all hold.
    ConditionFailed,
}

impl RuleDenial {
    /// A stable snake_case reason code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingChannel => "missing_channel",
            Self::PublishToWildcard => "publish_to_wildcard",
            Self::NoRuleForOperation => "no_rule_for_operation",
            Self::NoMatchingRule => "no_matching_rule",
            Self::WildcardTooBroad => "wildcard_too_broad",
            Self::ConditionFailed => "condition_failed",
        }
    }

    /// How close a rule came to granting: a rule that matched the channel but failed a
    /// condition says more than one that merely listed the operation.
    pub(crate) fn specificity(self) -> u8 {
        match self {
            Self::MissingChannel | Self::PublishToWildcard | Self::NoRuleForOperation => 0,
            Self::NoMatchingRule => 1,
            Self::WildcardTooBroad => 2,
            Self::ConditionFailed => 3,
        }
    }
}

impl fmt::Display for RuleDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_parse_only_from_their_exact_lower_case_names() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_config(op.as_str()), Some(op));
        }
        for bad in ["Subscribe", "SUBSCRIBE", "sub", "", "EVENT_SUBSCRIBE"] {
            assert_eq!(Operation::from_config(bad), None, "{bad}");
        }
    }

    #[test]
    fn events_operations_map_and_unknown_ones_do_not() {
        assert_eq!(
            Operation::from_events(&EventsOperation::Publish),
            Some(Operation::Publish)
        );
        assert_eq!(
            Operation::from_events(&EventsOperation::Unknown("EVENT_X".into())),
            None
        );
    }

    #[test]
    fn only_denied_decisions_are_not_allowed() {
        assert!(RuleDecision::Unrestricted.is_allowed());
        assert!(
            RuleDecision::Allowed {
                depends_on_channel: true
            }
            .is_allowed()
        );
        assert!(!RuleDecision::Denied(RuleDenial::NoMatchingRule).is_allowed());
    }
}
