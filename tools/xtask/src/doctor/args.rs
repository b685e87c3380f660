//! The doctor's command line.

use std::path::PathBuf;

/// What to check, and with which configuration.
#[derive(Debug, Default)]
pub struct Args {
    /// `KEY=VALUE` files, in order (later ones win).
    pub env_files: Vec<PathBuf>,
    /// `--set KEY=VALUE`, applied last.
    pub sets: Vec<(String, String)>,
    /// `--config FILE`: the JSON configuration document (`AUTHORIZER_CONFIG_FILE`).
    pub config_file: Option<PathBuf>,
    /// `--template FILE`: the SAM template whose authorizer variables and
    /// `IdentityValidationExpression` are used.
    pub template: Option<PathBuf>,
    /// `--parameter-overrides 'Key=Value …'` for the template (as `sam deploy` takes them).
    pub parameter_overrides: Vec<(String, String)>,
    /// `--token-stdin`: read a token from standard input.
    pub token_stdin: bool,
    /// `--operation connect|subscribe|publish` (default connect).
    pub operation: Option<String>,
    /// `--channel /namespace/…` for subscribe and publish.
    pub channel: Option<String>,
    /// `--no-process-env`: ignore this process's environment.
    pub no_process_env: bool,
}

pub const HELP: &str = "\
usage: cargo xtask doctor [options] [< token]

Checks an authorizer configuration the way the deployed function reads it, and prints
each step with a verdict (ok, warn, FAIL) and the fix:
  configuration -> issuer discovery and key set (each key usable or why not) ->
  algorithms in common -> the token's header and claims against every configured check
  (iss, aud / azp / client_id, exp with the time left, profile rules) -> the template's
  IdentityValidationExpression -> with channel rules, which rule an operation hits.

Configuration (later sources win; the same variables the function reads):
  this process's environment          (unless --no-process-env)
  --template FILE                     the authorizer's variables in a SAM template, with
  --parameter-overrides 'K=V K=V'     parameter values (else the template's defaults)
  --env-file FILE                     KEY=VALUE lines (repeatable)
  --config FILE                       the JSON configuration document (AUTHORIZER_CONFIG_FILE)
  --set KEY=VALUE                     one variable (repeatable)

Token and request:
  --token-stdin                       read a token (with its prefix, as clients send it)
                                      from standard input; it is never printed or logged
  --operation connect|subscribe|publish   (default connect)
  --channel /namespace/path           for subscribe and publish

Exit status: 0 when no step failed, 1 when one did, 2 for bad arguments.";

/// Parses the arguments after `doctor`.
pub fn parse(raw: Vec<String>) -> Result<Option<Args>, String> {
    let mut args = Args::default();
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--env-file" => args.env_files.push(value("--env-file")?.into()),
            "--config" => args.config_file = Some(value("--config")?.into()),
            "--template" => args.template = Some(value("--template")?.into()),
            "--parameter-overrides" => {
                for pair in value("--parameter-overrides")?.split_whitespace() {
                    args.parameter_overrides.push(key_value(pair)?);
                }
            }
            "--set" => args.sets.push(key_value(&value("--set")?)?),
            "--token-stdin" => args.token_stdin = true,
            "--operation" => args.operation = Some(value("--operation")?),
            "--channel" => args.channel = Some(value("--channel")?),
            "--no-process-env" => args.no_process_env = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Some(args))
}

/// `KEY=VALUE` (also `ParameterKey=K,ParameterValue=V`, as the AWS CLI writes them).
pub fn key_value(pair: &str) -> Result<(String, String), String> {
    if let Some(rest) = pair.strip_prefix("ParameterKey=")
        && let Some((key, value)) = rest.split_once(",ParameterValue=")
    {
        return Ok((key.to_owned(), value.to_owned()));
    }
    pair.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("{pair:?} is not KEY=VALUE"))
}
