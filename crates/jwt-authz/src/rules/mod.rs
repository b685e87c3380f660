//! Channel and GraphQL field rules: which verified tokens may connect, subscribe and publish
//! where, and which GraphQL fields they are denied.
//!
//! Rules come from configuration ([`ChannelRuleConfig`], [`GraphqlRuleConfig`]), are
//! compiled once at start-up ([`ChannelRules::compile`], [`GraphqlRules::compile`]) — a bad
//! rule is a [`RuleError`] naming it — and are then evaluated against the claims of an
//! already verified token. The user-facing reference is `docs/channel-rules.md`.
//!
//! # Channel patterns
//! A pattern starts with `/` and has at most 5 segments, counting a trailing `*`:
//! - the first segment is the namespace and must be a literal, valid namespace name;
//! - a later segment is a literal valid channel segment (1–50 of `A-Z a-z 0-9 -`), or a
//!   whole-segment placeholder `{claim.path}` naming a claim (dotted path into nested
//!   objects; each part is a non-empty run of `A-Z a-z 0-9 _ : -`), e.g. `{sub}`,
//!   `{app_metadata.org_id}`;
//! - the last segment may be `*`, meaning one or more further segments (AppSync's
//!   wildcard): `/public/*` matches `/public/a` and `/public/a/b`, not `/public`.
//!
//! Anything else (an unclosed or empty placeholder, `org-{id}`, `*` before the end, more
//! than 5 segments, a bad literal, a placeholder or `*` as namespace) is a compile error.
//!
//! # Placeholders and claim injection
//! A placeholder matches a requested segment only if the claim is a JSON string that is
//! itself a valid literal segment and equals the segment byte for byte, or an integer
//! whose decimal text equals it (`42` matches `42`, not `042`). Claims that are missing,
//! `null`, empty, floats, booleans, arrays, objects, or strings containing `/`, `*`, `.`,
//! spaces or non-ASCII never match, so a claim can never widen or redirect a pattern.
//!
//! # Conditions
//! `when` (channel rules) and `unless` (GraphQL rules) hold when all their conditions do:
//! `equals` (exact JSON equality: `1` ≠ `1.0`, `"false"` ≠ `false`), `oneOf` (equal to any),
//! `exists: true` (present and not `null`), `exists: false` (absent or `null`). A missing
//! claim fails `equals` and `oneOf`.
//!
//! # Decisions ([`ChannelRules::decide`])
//! - No rules: every operation is [`RuleDecision::Unrestricted`].
//! - Subscribe/publish: allowed only if one rule lists the operation, its pattern covers
//!   the channel and its conditions hold; otherwise [`RuleDecision::Denied`] with the most
//!   specific [`RuleDenial`]. A missing channel, or publishing to a wildcard, is denied.
//! - A requested wildcard (`/users/*`) is allowed only if a single rule covers every
//!   channel it could name: the rule's `*` is at the same position or earlier and every
//!   segment before it matches. `/users/{sub}/*` allows `/users/<own sub>/*` and denies
//!   `/users/*`; `/users/{sub}/inbox` denies `/users/<own sub>/*`.
//! - Connect: unrestricted unless some rule lists `connect`; then allowed when the
//!   conditions of some such rule hold. Connect has no channel, so patterns are ignored.
//!
//! # GraphQL ([`GraphqlRules::denied_fields`])
//! The union of `deniedFields` of every rule whose `unless` conditions do not all hold (a
//! rule without `unless` denies to everyone), deduplicated in configuration order. Fields
//! are `Type.field` or `arn:aws:appsync:<region>:<account>:apis/<id>/types/<Type>/fields/<field>`.
//!
//! # Layout
//! - `config`: the JSON shapes ([`ChannelRuleConfig`], [`GraphqlRuleConfig`],
//!   [`ConditionConfig`]).
//! - `error`: [`RuleError`] (where) and [`RuleProblem`] (what).
//! - `claims`: claim paths and the claim-to-segment comparison (the injection boundary).
//! - `pattern`: compiled channel patterns and segment-wise coverage of a request.
//! - `condition`: `equals` / `oneOf` / `exists`.
//! - `decision`: [`Operation`], [`RuleDecision`], [`RuleDenial`].
//! - `channel`: [`ChannelRules`]. `graphql`: [`GraphqlRules`].

mod channel;
mod claims;
mod condition;
mod config;
mod decision;
mod error;
mod graphql;
mod pattern;

#[cfg(test)]
mod tests;

pub use channel::ChannelRules;
pub use config::{ChannelRuleConfig, ConditionConfig, GraphqlRuleConfig};
pub use decision::{Operation, RuleDecision, RuleDenial};
pub use error::{RuleError, RuleProblem};
pub use graphql::GraphqlRules;

/// Warns at start-up about rules that read `user_metadata`: Supabase lets every user edit
/// it (`auth.updateUser`), so it must never decide access. Not an error, since other
/// issuers may use the name for something trustworthy.
fn warn_if_user_editable(location: &error::RuleLocation, path: &claims::ClaimPath) {
    if path.is_user_editable_in_supabase() {
        tracing::warn!(
            rule = %location,
            claim = path.as_str(),
            "rule reads user_metadata, which Supabase users can edit themselves; use app_metadata for access decisions"
        );
    }
}
