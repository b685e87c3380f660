//! [`ChannelRules`]: compiled channel rules and the connect/subscribe/publish decision.

use appsync_types::ChannelPath;
use serde_json::{Map, Value};

use super::condition::{self, Condition};
use super::config::ChannelRuleConfig;
use super::decision::{Operation, RuleDecision, RuleDenial};
use super::error::{RuleError, RuleLocation, RuleProblem};
use super::pattern::{Pattern, Request};
use super::warn_if_user_editable;

/// The set of operations a rule grants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Operations(u8);

impl Operations {
    fn insert(&mut self, op: Operation) {
        self.0 |= op.bit();
    }

    fn contains(self, op: Operation) -> bool {
        self.0 & op.bit() != 0
    }
}

#[derive(Debug, Clone, PartialEq)]
struct ChannelRule {
    pattern: Pattern,
    operations: Operations,
    conditions: Box<[Condition]>,
}

/// Compiled channel rules. Compile once at start-up; [`decide`](Self::decide) is cheap and
/// does not allocate.
///
/// The default value has no rules, so every operation is
/// [`Unrestricted`](RuleDecision::Unrestricted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelRules {
    rules: Box<[ChannelRule]>,
}

impl ChannelRules {
    /// Compiles rules from configuration. The error names the first bad rule by index and
    /// pattern, e.g. `channelRules[2] ("/users/{sub/*"): placeholder not closed; …`.
    pub fn compile(configs: &[ChannelRuleConfig]) -> Result<Self, RuleError> {
        let rules = configs
            .iter()
            .enumerate()
            .map(|(index, config)| compile_rule(index, config))
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Whether no rules are configured (every operation is then unrestricted).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules are configured.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether any rule lists `op`.
    pub fn governs(&self, op: Operation) -> bool {
        self.rules.iter().any(|rule| rule.operations.contains(op))
    }

    /// Decides whether a verified token with `claims` may perform `op` on `channel`.
    ///
    /// - No rules at all: [`Unrestricted`](RuleDecision::Unrestricted).
    /// - Connect: `Unrestricted` if no rule lists `connect`; otherwise allowed
    ///   (`depends_on_channel: false`) if the conditions of some rule listing `connect`
    ///   all hold. Patterns are ignored for connect, which has no channel.
    /// - Subscribe/publish: allowed (`depends_on_channel: true`) if some rule lists the
    ///   operation, its pattern covers the channel (every channel a requested wildcard could
    ///   name) and its conditions all hold; otherwise denied with the most specific reason.
    pub fn decide(
        &self,
        op: Operation,
        channel: Option<&ChannelPath>,
        claims: &Map<String, Value>,
    ) -> RuleDecision {
        if self.rules.is_empty() {
            return RuleDecision::Unrestricted;
        }
        match op {
            Operation::Connect => self.decide_connect(claims),
            Operation::Subscribe | Operation::Publish => {
                self.decide_on_channel(op, channel, claims)
            }
        }
    }

    fn decide_connect(&self, claims: &Map<String, Value>) -> RuleDecision {
        let mut listed = false;
        for rule in self.rules_for(Operation::Connect) {
            if condition::all_hold(&rule.conditions, claims) {
                return RuleDecision::Allowed {
                    depends_on_channel: false,
                };
            }
            listed = true;
        }
        if listed {
            RuleDecision::Denied(RuleDenial::ConditionFailed)
        } else {
            RuleDecision::Unrestricted
        }
    }

    fn decide_on_channel(
        &self,
        op: Operation,
        channel: Option<&ChannelPath>,
        claims: &Map<String, Value>,
    ) -> RuleDecision {
        let Some(channel) = channel else {
            return RuleDecision::Denied(RuleDenial::MissingChannel);
        };
        if op == Operation::Publish && channel.is_wildcard() {
            return RuleDecision::Denied(RuleDenial::PublishToWildcard);
        }
        let Some(request) = Request::new(channel) else {
            // A parsed ChannelPath has at most MAX_SEGMENTS segments; fail closed anyway.
            return RuleDecision::Denied(RuleDenial::NoMatchingRule);
        };
        let mut reason = RuleDenial::NoRuleForOperation;
        for rule in self.rules_for(op) {
            let this = if rule.pattern.covers(&request, claims) {
                if condition::all_hold(&rule.conditions, claims) {
                    return RuleDecision::Allowed {
                        depends_on_channel: true,
                    };
                }
                RuleDenial::ConditionFailed
            } else if request.is_wildcard() && rule.pattern.overlaps(&request, claims) {
                RuleDenial::WildcardTooBroad
            } else {
                RuleDenial::NoMatchingRule
            };
            if this.specificity() > reason.specificity() {
                reason = this;
            }
        }
        RuleDecision::Denied(reason)
    }

    fn rules_for(&self, op: Operation) -> impl Iterator<Item = &ChannelRule> {
        self.rules
            .iter()
            .filter(move |rule| rule.operations.contains(op))
    }
}

fn compile_rule(index: usize, config: &ChannelRuleConfig) -> Result<ChannelRule, RuleError> {
    let location = RuleLocation::channel_rule(index, &config.channel);
    let fail = |problem| RuleError::new(location.clone(), problem);
    let pattern = Pattern::parse(&config.channel).map_err(fail)?;
    if config.operations.is_empty() {
        return Err(fail(RuleProblem::NoOperations));
    }
    let mut operations = Operations::default();
    for name in &config.operations {
        let op = Operation::from_config(name)
            .ok_or_else(|| fail(RuleProblem::UnknownOperation(name.clone())))?;
        operations.insert(op);
    }
    let conditions = condition::compile_all(&config.when)
        .map_err(|(at, problem)| RuleError::new(location.part("when", at), problem))?;
    for path in pattern
        .claim_paths()
        .chain(conditions.iter().map(Condition::path))
    {
        warn_if_user_editable(&location, path);
    }
    Ok(ChannelRule {
        pattern,
        operations,
        conditions,
    })
}
