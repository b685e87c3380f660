//! `cargo xtask doctor`: an authorizer configuration — and optionally a token — checked
//! step by step, each with a verdict and the fix.
//!
//! The configuration is read by the function's own code (`authorizer::config`), compiled
//! by the library (`jwt_authz::Authorizer`), key sets are fetched and parsed by the
//! library's fetcher and parser, and a token goes through the library's extraction,
//! header parsing, key lookup, signature, claim and profile checks, then through the whole
//! [`jwt_authz::Authorizer`] decision — the explanation and the final answer come from the
//! code that runs in Lambda, not from a re-implementation.
//!
//! Layout: [`args`] (command line), [`sources`] (env files, the SAM template),
//! [`issuers`] (discovery, key sets, algorithms, secrets), [`token`] (the token, the
//! prefix against `IdentityValidationExpression`, channel rules), [`report`] (output).

mod args;
mod issuers;
mod report;
mod sources;
mod token;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

use authorizer::config;
use jwt_authz::Authorizer;
use jwt_authz::Dependencies;

use report::Report;

/// Runs the doctor with the arguments after `doctor`.
pub fn main(raw: Vec<String>) -> ExitCode {
    let args = match args::parse(raw) {
        Ok(Some(args)) => args,
        Ok(None) => {
            eprintln!("{}", args::HELP);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("doctor: {error}\n\n{}", args::HELP);
            return ExitCode::from(2);
        }
    };
    let token = if args.token_stdin {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "paste the token, then press Enter and Ctrl-D (it is not echoed back by the doctor):"
            );
        }
        let mut text = String::new();
        if let Err(error) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("doctor: cannot read the token from standard input: {error}");
            return ExitCode::from(2);
        }
        Some(text.trim().to_owned())
    } else {
        None
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("doctor: {error}");
            return ExitCode::from(2);
        }
    };
    let mut report = Report::new(std::io::stdout().lock());
    runtime.block_on(run(&args, token.as_deref(), &mut report));
    report.summary();
    if report.failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run<W: std::io::Write>(args: &args::Args, token: Option<&str>, report: &mut Report<W>) {
    let Some((env, expression)) = environment(args, report) else {
        return;
    };
    let lookup = |name: &str| env.get(name).cloned().filter(|v| !v.trim().is_empty());

    let fetcher = match config::http_fetcher(&lookup) {
        Ok(fetcher) => fetcher,
        Err(error) => {
            report.fail(
                "configuration",
                &error.to_string(),
                "correct the variable named",
            );
            return;
        }
    };
    let loaded = match config::load(&lookup, fetcher.http_client()).await {
        Ok(loaded) => loaded,
        Err(error) => {
            report.fail(
                "configuration",
                &error.to_string(),
                "set or correct the variable named (docs/configuration.md); the function stops its cold start with this same message",
            );
            return;
        }
    };
    let fetcher = Arc::new(fetcher);
    let deps = Dependencies {
        fetcher: fetcher.clone(),
        secrets: authorizer::secrets::provider(loaded.aws.clone()),
        jwks_policy: loaded.jwks_policy,
    };
    let authorizer = match Authorizer::new(&loaded.config, &deps) {
        Ok(authorizer) => authorizer,
        Err(error) => {
            report.fail(
                "configuration",
                &loaded.name_error(error).to_string(),
                "set or correct the variable named; the function stops its cold start with this same message",
            );
            return;
        }
    };
    report.ok(
        "configuration",
        &format!(
            "read from {}: {} issuer(s), token prefixes {:?}, suffixes {:?}, {} channel rule(s)",
            loaded.source,
            loaded.config.issuers.len(),
            loaded.config.token_prefixes,
            loaded.config.token_suffixes,
            loaded.config.channel_rules.len()
        ),
    );
    for (index, issuer) in authorizer.verifier().issuers().iter().enumerate() {
        let secret = loaded
            .config
            .issuers
            .get(index)
            .and_then(|c| c.secret.as_ref());
        issuers::check(issuer, secret, fetcher.as_ref(), &deps, report).await;
    }
    token::check_prefix(expression.as_deref(), &loaded.config, token, report);
    if let Some(token) = token {
        token::check(token, &authorizer, &loaded.config, args, report).await;
    } else {
        report.info(
            "token",
            "none given; pipe one in with --token-stdin to check its header, claims and the decision",
        );
    }
}

/// The variables the function would see, and the template's `IdentityValidationExpression`.
fn environment<W: std::io::Write>(
    args: &args::Args,
    report: &mut Report<W>,
) -> Option<(BTreeMap<String, String>, Option<String>)> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut sources = Vec::new();
    if !args.no_process_env {
        env.extend(std::env::vars());
        sources.push("this process's environment".to_owned());
    }
    let mut expression = None;
    if let Some(path) = &args.template {
        match sources::read_template(path, &args.parameter_overrides) {
            Ok(template) => {
                env.extend(template.vars);
                expression = template.identity_validation_expression;
                for note in template.notes {
                    report.info("template", &note);
                }
                sources.push(format!("{} (the authorizer's variables)", path.display()));
            }
            Err(error) => {
                report.fail(
                    "template",
                    &format!("{}: {error}", path.display()),
                    "pass the SAM template of this project (--template template.yaml) and only its parameters",
                );
                return None;
            }
        }
    }
    for path in &args.env_files {
        match sources::read_env_file(path) {
            Ok(vars) => {
                env.extend(vars);
                sources.push(path.display().to_string());
            }
            Err(error) => {
                report.fail("env file", &error, "KEY=VALUE lines, # for comments");
                return None;
            }
        }
    }
    if let Some(path) = &args.config_file {
        env.insert("AUTHORIZER_CONFIG_FILE".into(), path.display().to_string());
        sources.push(format!("{} (AUTHORIZER_CONFIG_FILE)", path.display()));
    }
    for (key, value) in &args.sets {
        env.insert(key.clone(), value.clone());
    }
    if !args.sets.is_empty() {
        sources.push("--set".into());
    }
    report.info("sources", &sources.join(", then "));
    Some((env, expression))
}
