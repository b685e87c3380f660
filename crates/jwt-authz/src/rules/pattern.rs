//! Channel patterns (`/users/{sub}/*`) and how they cover a requested channel.
//!
//! Matching walks segments; nothing is formatted or allocated. A requested channel is
//! split once into a stack array ([`Request`]) and compared with every rule.

use std::cmp::min;

use appsync_types::ChannelPath;
use appsync_types::channel::{MAX_SEGMENTS, WILDCARD, is_valid_namespace, is_valid_segment};
use serde_json::{Map, Value};

use super::claims::{ClaimPath, value_is_segment};
use super::error::RuleProblem;

/// One segment of a pattern, before any trailing `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Claim(ClaimPath),
}

impl Segment {
    fn matches(&self, segment: &str, claims: &Map<String, Value>) -> bool {
        match self {
            Self::Literal(literal) => **literal == *segment,
            Self::Claim(path) => value_is_segment(path.lookup(claims), segment),
        }
    }
}

/// A compiled channel pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The segments before the trailing `*` (if any); the first is the literal namespace.
    segments: Box<[Segment]>,
    /// Whether the pattern ends in `*` (one or more further segments).
    wildcard: bool,
}

impl Pattern {
    /// Compiles a pattern, refusing anything that is not exactly the documented syntax.
    pub(crate) fn parse(text: &str) -> Result<Self, RuleProblem> {
        let rest = text
            .strip_prefix('/')
            .ok_or(RuleProblem::MissingLeadingSlash)?;
        let raw: Vec<&str> = rest.split('/').collect();
        if raw.len() > MAX_SEGMENTS {
            return Err(RuleProblem::TooManySegments);
        }
        let mut segments = Vec::with_capacity(raw.len());
        let mut wildcard = false;
        for (index, &segment) in raw.iter().enumerate() {
            if segment.is_empty() {
                return Err(RuleProblem::EmptySegment);
            }
            if index == 0 {
                segments.push(parse_namespace(segment)?);
                continue;
            }
            if segment == WILDCARD {
                if index + 1 != raw.len() {
                    return Err(RuleProblem::MisplacedWildcard);
                }
                wildcard = true;
                continue;
            }
            segments.push(parse_segment(segment)?);
        }
        Ok(Self {
            segments: segments.into(),
            wildcard,
        })
    }

    /// The claim paths used by placeholders.
    pub(crate) fn claim_paths(&self) -> impl Iterator<Item = &ClaimPath> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Claim(path) => Some(path),
            Segment::Literal(_) => None,
        })
    }

    /// Whether every channel the request names (one, or all under a requested `*`) is
    /// matched by this pattern.
    pub(crate) fn covers(&self, request: &Request<'_>, claims: &Map<String, Value>) -> bool {
        let fixed = self.segments.len();
        let given = request.len;
        let length_fits = match (self.wildcard, request.wildcard) {
            (false, false) => given == fixed,
            // A fixed pattern names finitely many channels; a requested `*` names an
            // open-ended set, so no fixed pattern can cover it.
            (false, true) => false,
            // `/a/*` needs at least one segment after `/a`.
            (true, false) => given > fixed,
            // The requested `*` must sit at the pattern's `*` or after it: `/a/*` covers
            // `/a/*` and `/a/b/*`, but `/a/b/*` does not cover `/a/*`.
            (true, true) => given >= fixed,
        };
        length_fits && self.prefix_matches(request, fixed, claims)
    }

    /// Whether some channel the request names is matched by this pattern. Used only to
    /// pick the denial reason for a requested wildcard ("too broad" versus "no rule").
    pub(crate) fn overlaps(&self, request: &Request<'_>, claims: &Map<String, Value>) -> bool {
        if !request.wildcard {
            return self.covers(request, claims);
        }
        let fixed = self.segments.len();
        let given = request.len;
        // The requested `*` stands for one or more segments, so the pattern must either be
        // open-ended too or have segments beyond the requested prefix.
        (self.wildcard || fixed > given) && self.prefix_matches(request, min(fixed, given), claims)
    }

    fn prefix_matches(
        &self,
        request: &Request<'_>,
        count: usize,
        claims: &Map<String, Value>,
    ) -> bool {
        self.segments[..count]
            .iter()
            .zip(request.concrete())
            .all(|(pattern, segment)| pattern.matches(segment, claims))
    }
}

fn parse_namespace(segment: &str) -> Result<Segment, RuleProblem> {
    if segment == WILDCARD || segment.starts_with('{') {
        return Err(RuleProblem::NamespaceNotLiteral);
    }
    if !is_valid_namespace(segment) {
        return Err(RuleProblem::InvalidNamespace(segment.to_owned()));
    }
    Ok(Segment::Literal(segment.into()))
}

fn parse_segment(segment: &str) -> Result<Segment, RuleProblem> {
    if segment.contains('*') {
        return Err(RuleProblem::MisplacedWildcard);
    }
    if let Some(inner) = segment.strip_prefix('{') {
        let Some(inner) = inner.strip_suffix('}') else {
            return Err(if inner.contains('}') {
                RuleProblem::PartialPlaceholder(segment.to_owned())
            } else {
                RuleProblem::UnclosedPlaceholder
            });
        };
        if inner.is_empty() {
            return Err(RuleProblem::EmptyPlaceholder);
        }
        return ClaimPath::parse(inner)
            .map(Segment::Claim)
            .ok_or_else(|| RuleProblem::InvalidClaimPath(inner.to_owned()));
    }
    if segment.contains(['{', '}']) {
        return Err(RuleProblem::PartialPlaceholder(segment.to_owned()));
    }
    if !is_valid_segment(segment) {
        return Err(RuleProblem::InvalidSegment(segment.to_owned()));
    }
    Ok(Segment::Literal(segment.into()))
}

/// A requested channel split into segments on the stack.
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    /// The segments before a trailing `*`; only `..len` are meaningful.
    segments: [&'a str; MAX_SEGMENTS],
    len: usize,
    /// Whether the request ends in `*`.
    wildcard: bool,
}

impl<'a> Request<'a> {
    /// Splits a channel; `None` if it has more than [`MAX_SEGMENTS`] segments, which a
    /// parsed [`ChannelPath`] never has.
    pub(crate) fn new(channel: &'a ChannelPath) -> Option<Self> {
        let mut request = Self {
            segments: [""; MAX_SEGMENTS],
            len: 0,
            wildcard: channel.is_wildcard(),
        };
        for segment in channel.segments().filter(|segment| *segment != WILDCARD) {
            *request.segments.get_mut(request.len)? = segment;
            request.len += 1;
        }
        Some(request)
    }

    pub(crate) fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    fn concrete(&self) -> &[&'a str] {
        &self.segments[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn channel(path: &str) -> ChannelPath {
        ChannelPath::parse(path).expect("valid test channel")
    }

    fn covers(pattern: &str, path: &str, claims: &Value) -> bool {
        let pattern = Pattern::parse(pattern).expect("valid test pattern");
        let channel = channel(path);
        let request = Request::new(&channel).expect("at most five segments");
        let claims = claims.as_object().expect("object");
        pattern.covers(&request, claims)
    }

    #[test]
    fn a_fixed_pattern_covers_exactly_its_channel() {
        let c = json!({"sub": "u1"});
        assert!(covers("/public", "/public", &c));
        assert!(covers("/users/{sub}/inbox", "/users/u1/inbox", &c));
        assert!(!covers("/users/{sub}/inbox", "/users/u1/inbox/x", &c));
        assert!(!covers("/users/{sub}/inbox", "/users/u1", &c));
        assert!(!covers("/users/{sub}/inbox", "/users/u2/inbox", &c));
    }

    #[test]
    fn a_trailing_star_covers_one_or_more_further_segments() {
        let c = json!({});
        assert!(covers("/public/*", "/public/a", &c));
        assert!(covers("/public/*", "/public/a/b/c/d", &c));
        assert!(!covers("/public/*", "/public", &c));
        assert!(!covers("/public/*", "/publicx/a", &c));
    }

    #[test]
    fn a_requested_star_is_covered_only_by_a_star_at_the_same_place_or_earlier() {
        let c = json!({"sub": "u1"});
        assert!(covers("/users/{sub}/*", "/users/u1/*", &c));
        assert!(covers("/users/*", "/users/u1/*", &c));
        assert!(covers("/users/*", "/users/*", &c));
        assert!(!covers("/users/{sub}/*", "/users/*", &c));
        assert!(!covers("/users/{sub}/inbox", "/users/u1/*", &c));
        assert!(!covers("/users/{sub}/*", "/users/u2/*", &c));
    }

    #[test]
    fn a_requested_star_overlaps_a_narrower_pattern_under_it() {
        let c = json!({"sub": "u1"});
        let overlaps = |pattern: &str, path: &str| {
            let channel = channel(path);
            let request = Request::new(&channel).expect("short");
            Pattern::parse(pattern)
                .expect("valid")
                .overlaps(&request, c.as_object().expect("object"))
        };
        assert!(overlaps("/users/{sub}/*", "/users/*"));
        assert!(overlaps("/users/{sub}/inbox", "/users/u1/*"));
        assert!(!overlaps("/users/{sub}/inbox", "/users/u2/*"));
        assert!(!overlaps("/users", "/users/*"));
        assert!(!overlaps("/orgs/*", "/users/*"));
    }

    #[test]
    fn a_request_splits_without_the_star() {
        let ch = channel("/a/b/*");
        let request = Request::new(&ch).expect("short");
        assert_eq!(request.concrete(), ["a", "b"]);
        assert!(request.is_wildcard());
    }
}
