use std::collections::BTreeMap;

use super::*;
use crate::config::DEFAULT_HISTORY;
use crate::modes::DEFAULT_NAMESPACE;

fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Config, Error> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = |name: &str| env.get(name).cloned();
    match parse(args.iter().map(|a| (*a).to_owned()), lookup)? {
        Command::Run(config) => Ok(*config),
        other => panic!("expected a run command, got {other:?}"),
    }
}

fn namespaces(config: &Config) -> Vec<&str> {
    config
        .events
        .namespaces
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn defaults_are_loopback_4010_plain_lambda_and_iam_like_the_template() {
    let config = run(&[], &[]).expect("defaults are valid");
    assert_eq!(config, Config::default());
    assert_eq!(config.listen.to_string(), "127.0.0.1:4010");
    assert_eq!(namespaces(&config), [DEFAULT_NAMESPACE]);
    assert_eq!(config.region, "us-east-1");
    assert_eq!(config.history, DEFAULT_HISTORY);
    assert_eq!(config.tls, None);
    assert_eq!(config.keepalive, Duration::from_secs(60));
    assert_eq!(config.events.connect, [AuthMode::Lambda, AuthMode::Iam]);
    assert_eq!(config.events.default_subscribe, [AuthMode::Lambda]);
    assert_eq!(config.authorizer.url, "http://127.0.0.1:9000");
    assert_eq!(config.authorizer.function, "authorizer");
    assert_eq!(config.authorizer.timeout, Duration::from_secs(10));
    assert_eq!(config.authorizer.cache_key, CacheKey::Token);
    assert_eq!(config.authorizer.cache_ttl, 0);
    assert_eq!(config.iam.access_key_id, "AKIDLOCALDEVELOPMENT");
    assert!(config.warnings.is_empty());
}

#[test]
fn namespace_is_repeatable_and_replaces_the_default() {
    let config = run(&["--namespace", "chat", "--namespace=orders"], &[]).expect("valid");
    assert_eq!(namespaces(&config), ["chat", "orders"]);
}

#[test]
fn arguments_override_environment_variables() {
    let env = [
        ("LOCAL_EVENTS_LISTEN", "127.0.0.1:5000"),
        ("LOCAL_EVENTS_NAMESPACES", "a, b"),
        ("LOCAL_EVENTS_REGION", "eu-west-1"),
        ("LOCAL_EVENTS_HISTORY", "10"),
        ("LOCAL_EVENTS_AUTH_CACHE_KEY", "token-operation-channel"),
        ("LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY", "from-env"),
        ("LOCAL_EVENTS_TLS", "1"),
    ];
    let from_env = run(&[], &env).expect("valid");
    assert_eq!(from_env.listen.port(), 5000);
    assert_eq!(namespaces(&from_env), ["a", "b"]);
    assert_eq!(from_env.region, "eu-west-1");
    assert_eq!(from_env.history, 10);
    assert_eq!(
        from_env.authorizer.cache_key,
        CacheKey::TokenOperationChannel
    );
    assert_eq!(from_env.iam.secret_access_key, "from-env");
    assert_eq!(from_env.tls, Some(PathBuf::from(".dev/certs")));

    let from_args = run(
        &[
            "--listen",
            "127.0.0.1:0",
            "--namespace",
            "c",
            "--auth-cache-key",
            "token",
            "--cert-dir",
            "/tmp/c",
        ],
        &env,
    )
    .expect("valid");
    assert_eq!(from_args.listen.port(), 0);
    assert_eq!(namespaces(&from_args), ["c"]);
    assert_eq!(from_args.authorizer.cache_key, CacheKey::Token);
    assert_eq!(from_args.tls, Some(PathBuf::from("/tmp/c")));
}

#[test]
fn mode_flags_set_the_api_defaults_and_none_is_announced() {
    let config = run(
        &[
            "--connect-auth",
            "none",
            "--publish-auth",
            "iam",
            "--subscribe-auth",
            "lambda,none",
        ],
        &[],
    )
    .expect("valid");
    assert_eq!(config.events.connect, [AuthMode::None]);
    assert_eq!(config.events.default_publish, [AuthMode::Iam]);
    assert_eq!(
        config.events.default_subscribe,
        [AuthMode::Lambda, AuthMode::None]
    );
    assert_eq!(config.warnings.len(), 1);
    assert!(config.warnings[0].contains("'none'"));
}

#[test]
fn the_template_supplies_modes_namespaces_and_cache_ttl_and_flags_add_to_it() {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let config = run(&["--template", template, "--namespace", "extra"], &[]).expect("valid");
    assert_eq!(namespaces(&config), ["default", "extra"]);
    assert_eq!(config.authorizer.cache_ttl, 300);
    assert_eq!(
        config.template.as_deref(),
        Some(std::path::Path::new(template))
    );
    let overridden = run(&["--template", template, "--auth-cache-ttl", "0"], &[]).expect("valid");
    assert_eq!(overridden.authorizer.cache_ttl, 0);

    let missing = run(&["--template", "/nonexistent/template.yaml"], &[]).expect_err("missing");
    assert!(
        missing.to_string().contains("/nonexistent/template.yaml"),
        "{missing}"
    );
}

#[test]
fn parameter_overrides_reach_the_template_from_flags_or_the_environment() {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let pattern = |config: &Config| {
        config
            .identity_validation
            .as_ref()
            .map(|c| c.pattern().to_owned())
    };
    let default = run(&["--template", template], &[]).expect("valid");
    assert!(pattern(&default).is_some_and(|p| p.starts_with("^supabase:")));
    let flag = run(
        &[
            "--template",
            template,
            "--parameter-overrides",
            "TokenPrefix=",
            "--parameter-overrides",
            "TokenSuffix=",
        ],
        &[],
    )
    .expect("valid");
    assert_eq!(pattern(&flag), None, "repeatable: both overrides apply");
    let env = run(
        &["--template", template],
        &[("LOCAL_EVENTS_PARAMETER_OVERRIDES", "TokenPrefix=app:")],
    )
    .expect("valid");
    assert!(pattern(&env).is_some_and(|p| p.starts_with("^app:")));

    let error = run(&["--parameter-overrides", "TokenPrefix=x"], &[]).expect_err("no template");
    assert!(error.to_string().contains("--template"), "{error}");
    let error = run(
        &[
            "--template",
            template,
            "--parameter-overrides",
            "TokenPrefix",
        ],
        &[],
    )
    .expect_err("not K=V");
    assert!(error.to_string().contains("Key=Value"), "{error}");
}

#[test]
fn remote_addresses_need_allow_remote() {
    let error = run(&["--listen", "0.0.0.0:4010"], &[]).expect_err("refused");
    assert!(error.to_string().contains("--allow-remote"), "{error}");
    assert!(run(&["--listen", "0.0.0.0:4010", "--allow-remote"], &[]).is_ok());

    let error = run(&["--authorizer-url", "http://10.0.0.1:9000"], &[]).expect_err("refused");
    assert!(error.to_string().contains("--allow-remote"), "{error}");
    for url in [
        "http://localhost:3001/",
        "http://[::1]:9000",
        "https://127.0.0.2:9",
    ] {
        let config = run(&["--authorizer-url", url], &[]).expect("loopback");
        assert!(!config.authorizer.url.ends_with('/'));
    }
}

#[test]
fn invalid_values_name_the_argument_or_variable() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--listen", "localhost"], &[], "--listen"),
        (
            &[],
            &[("LOCAL_EVENTS_LISTEN", "nope")],
            "LOCAL_EVENTS_LISTEN",
        ),
        (&["--namespace", "bad_name"], &[], "--namespace"),
        (
            &[],
            &[("LOCAL_EVENTS_NAMESPACES", "ok,-bad")],
            "LOCAL_EVENTS_NAMESPACES",
        ),
        (&["--region", "US East"], &[], "--region"),
        (&["--history", "0"], &[], "--history"),
        (&["--keepalive-secs", "300"], &[], "--keepalive-secs"),
        (&["--auth-cache-key", "channel"], &[], "--auth-cache-key"),
        (&["--auth-cache-ttl", "3601"], &[], "--auth-cache-ttl"),
        (&["--connect-auth", "api_key"], &[], "--connect-auth"),
        (
            &["--authorizer-url", "127.0.0.1:9000"],
            &[],
            "--authorizer-url",
        ),
        (
            &["--authorizer-function", "a/b"],
            &[],
            "--authorizer-function",
        ),
        (&[], &[("LOCAL_EVENTS_TLS", "maybe")], "LOCAL_EVENTS_TLS"),
        (&["--listen"], &[], "--listen"),
        (&["--bogus"], &[], "--bogus"),
    ];
    for (args, env, name) in cases {
        let error = run(args, env).expect_err("invalid");
        assert!(
            error.to_string().starts_with(&format!("invalid {name}")),
            "{args:?} {env:?}: {error}"
        );
    }
}

#[test]
fn help_and_version_are_commands() {
    let parse_args = |a: &[&str]| parse(a.iter().map(|s| (*s).to_owned()), |_| None);
    assert_eq!(parse_args(&["--help"]).ok(), Some(Command::Help(USAGE)));
    assert_eq!(parse_args(&["-V"]).ok(), Some(Command::Version));
}
