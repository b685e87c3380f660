//! Which auth modes may connect, publish and subscribe, per namespace — AppSync's
//! `EventConfig` (`ConnectionAuthModes`, `DefaultPublishAuthModes`,
//! `DefaultSubscribeAuthModes`) and each `ChannelNamespace`'s `PublishAuthModes` /
//! `SubscribeAuthModes` overrides.

use std::collections::BTreeMap;
use std::fmt;

/// Default channel namespace (the SAM template's default `ChannelNamespaceName`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// An auth mode this endpoint can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum AuthMode {
    /// `AWS_LAMBDA`: the request's token is checked by the Lambda authorizer.
    Lambda,
    /// `AWS_IAM`: the request is SigV4-signed with the development credentials.
    Iam,
    /// Local only, off unless listed: anyone may, with or without credentials. For quick
    /// experiments; AppSync has no such mode.
    None,
}

impl AuthMode {
    /// The AppSync name (`AWS_LAMBDA`, `AWS_IAM`), or `NONE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lambda => "AWS_LAMBDA",
            Self::Iam => "AWS_IAM",
            Self::None => "NONE",
        }
    }

    /// Parses a command-line name (`lambda`, `iam`, `none`) or an AppSync `AuthType`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "lambda" | "AWS_LAMBDA" => Some(Self::Lambda),
            "iam" | "AWS_IAM" => Some(Self::Iam),
            "none" | "NONE" => Some(Self::None),
            _ => None,
        }
    }

    /// Parses a comma-separated list of modes (at least one, no duplicates kept).
    pub fn parse_list(list: &str) -> Result<Vec<Self>, String> {
        let mut modes = Vec::new();
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            let mode = Self::parse(name).ok_or_else(|| {
                format!(
                    "{:?} is not an auth mode (lambda, iam or none)",
                    name.trim()
                )
            })?;
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        if modes.is_empty() {
            return Err("at least one auth mode is required (lambda, iam or none)".into());
        }
        Ok(modes)
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Formats modes as `AWS_LAMBDA, AWS_IAM`.
pub fn list(modes: &[AuthMode]) -> String {
    modes
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A namespace's overrides of the API defaults (`None`: use the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceModes {
    /// `PublishAuthModes`.
    pub publish: Option<Vec<AuthMode>>,
    /// `SubscribeAuthModes`.
    pub subscribe: Option<Vec<AuthMode>>,
}

/// The API's auth configuration and its namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventConfig {
    /// `ConnectionAuthModes`. Default: Lambda and IAM (as in this project's template).
    pub connect: Vec<AuthMode>,
    /// `DefaultPublishAuthModes`. Default: Lambda and IAM.
    pub default_publish: Vec<AuthMode>,
    /// `DefaultSubscribeAuthModes`. Default: Lambda.
    pub default_subscribe: Vec<AuthMode>,
    /// The channel namespaces that exist, with their overrides.
    pub namespaces: BTreeMap<String, NamespaceModes>,
}

impl Default for EventConfig {
    fn default() -> Self {
        Self {
            connect: vec![AuthMode::Lambda, AuthMode::Iam],
            default_publish: vec![AuthMode::Lambda, AuthMode::Iam],
            default_subscribe: vec![AuthMode::Lambda],
            namespaces: BTreeMap::from([(DEFAULT_NAMESPACE.to_owned(), NamespaceModes::default())]),
        }
    }
}

impl EventConfig {
    /// Whether `namespace` exists.
    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.namespaces.contains_key(namespace)
    }

    /// The configured namespace names, comma-separated (for messages).
    pub fn namespace_list(&self) -> String {
        self.namespaces
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Modes allowed to publish in `namespace` (its override, else the default).
    pub fn publish_modes(&self, namespace: &str) -> &[AuthMode] {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.publish.as_deref())
            .unwrap_or(&self.default_publish)
    }

    /// Modes allowed to subscribe in `namespace` (its override, else the default).
    pub fn subscribe_modes(&self, namespace: &str) -> &[AuthMode] {
        self.namespaces
            .get(namespace)
            .and_then(|n| n.subscribe.as_deref())
            .unwrap_or(&self.default_subscribe)
    }

    /// Whether any operation anywhere allows `mode`.
    pub fn uses(&self, mode: AuthMode) -> bool {
        let all = [
            &self.connect,
            &self.default_publish,
            &self.default_subscribe,
        ];
        all.iter().any(|m| m.contains(&mode))
            || self.namespaces.values().any(|n| {
                [&n.publish, &n.subscribe]
                    .iter()
                    .any(|m| m.as_ref().is_some_and(|m| m.contains(&mode)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_lists_accept_cli_and_appsync_names() {
        assert_eq!(
            AuthMode::parse_list("lambda, AWS_IAM,lambda").expect("valid"),
            [AuthMode::Lambda, AuthMode::Iam]
        );
        assert!(AuthMode::parse_list("api_key").is_err());
        assert!(AuthMode::parse_list(" , ").is_err());
    }

    #[test]
    fn namespace_overrides_replace_the_defaults() {
        let mut config = EventConfig::default();
        config.namespaces.insert(
            "private".into(),
            NamespaceModes {
                publish: Some(vec![AuthMode::Iam]),
                subscribe: None,
            },
        );
        assert_eq!(config.publish_modes("private"), [AuthMode::Iam]);
        assert_eq!(config.subscribe_modes("private"), [AuthMode::Lambda]);
        assert_eq!(
            config.publish_modes("default"),
            [AuthMode::Lambda, AuthMode::Iam]
        );
        assert!(!config.uses(AuthMode::None));
        assert_eq!(config.namespace_list(), "default, private");
    }
}
