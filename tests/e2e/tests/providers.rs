//! Every identity provider deployed on paper, from its guide.
//!
//! For each `sam deploy --parameter-overrides …` command in `docs/providers/*.md`: the
//! parameters are bound to `template.yaml` as CloudFormation binds them (types, allowed
//! values and patterns), every `Rule` must pass, and the authorizer function's
//! `Environment` is rendered (Ref, Sub, If, conditions, `AWS::NoValue`). The real
//! `authorizer` binary then starts under the Runtime API with exactly that environment —
//! plus only what points it at this machine: the key set's URL (`JwtJwksUrl`, a loopback
//! HTTPS server from a private CA, trusted through `EXTRA_CA_CERTS`) and, for a secret in
//! Secrets Manager, the loopback AWS endpoint. A token shaped like that provider's real
//! ones, wrapped as the API's `IdentityValidationExpression` requires, is allowed; the same
//! token for another audience or client is denied.
//!
//! The parameter sets that would give a function that cannot start are then shown to be
//! refused by a Rule, and to really fail at cold start without it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::aws_fake::AwsFake;
use testkit::binaries::{binary, workspace_root};
use testkit::cfn::{Stack, Template};
use testkit::events::{connect, graphql, last_reason};
use testkit::idp::{JwksServer, TestKey, now};
use testkit::runtime::LambdaProcess;
use testkit::tls_front::TlsFront;

const PROVIDERS: [&str; 6] = ["supabase", "auth0", "clerk", "cognito", "firebase", "oidc"];
/// The legacy HS256 secret the loopback Secrets Manager serves (test-only, ≥ 32 bytes).
const LEGACY_SECRET: &str = "e2e-legacy-supabase-jwt-secret-0123456789abcdef";

type Params = Vec<(String, String)>;

/// Every `sam deploy … --parameter-overrides K=V …` command in `markdown`'s `sh` blocks.
fn deploy_commands(markdown: &str) -> Vec<Params> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut command = String::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        command.push_str(line.trim_end().trim_end_matches('\\'));
        command.push(' ');
        if line.trim_end().ends_with('\\') {
            continue;
        }
        let words: Vec<&str> = command.split_whitespace().collect();
        if words.starts_with(&["sam", "deploy"]) {
            let start = words
                .iter()
                .position(|w| *w == "--parameter-overrides")
                .map(|i| i + 1);
            let pairs = words[start.unwrap_or(words.len())..]
                .iter()
                .take_while(|w| !w.starts_with("--"))
                .map(|w| {
                    let (k, v) = w.split_once('=').expect("Key=Value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            commands.push(pairs);
        }
        command.clear();
    }
    commands
}

fn guide(name: &str) -> String {
    let path = workspace_root().join(format!("docs/providers/{name}.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn template() -> Template {
    Template::load(&workspace_root().join("template.yaml"))
}

fn with(params: &Params, key: &str, value: &str) -> Params {
    let mut out: Params = params.iter().filter(|(k, _)| k != key).cloned().collect();
    out.push((key.to_owned(), value.to_owned()));
    out
}

fn without(params: &Params, key: &str) -> Params {
    params.iter().filter(|(k, _)| k != key).cloned().collect()
}

/// The `IdentityValidationExpression` AppSync applies before invoking the authorizer.
fn identity_validation(stack: &Stack<'_>) -> Option<regex::Regex> {
    let api = stack
        .resource("Api")
        .expect("renders")
        .expect("the Events API");
    let providers = api["Properties"]["EventConfig"]["AuthProviders"]
        .as_array()
        .expect("auth providers");
    let lambda = providers
        .iter()
        .find(|p| p["AuthType"] == "AWS_LAMBDA")
        .expect("a Lambda auth provider");
    lambda["LambdaAuthorizerConfig"]["IdentityValidationExpression"]
        .as_str()
        .map(|e| regex::Regex::new(e).expect("the expression compiles"))
}

/// Keys the loopback identity provider signs with, served over HTTPS.
struct Idp {
    es: TestKey,
    rs: TestKey,
    _server: JwksServer,
    front: TlsFront,
}

impl Idp {
    async fn start() -> Self {
        let es = TestKey::es256();
        let rs = TestKey::rs256();
        let server = JwksServer::start(vec![es.jwk("es-1"), rs.jwk("rs-1")]).await;
        let front = TlsFront::start(server.addr()).await;
        Self {
            es,
            rs,
            _server: server,
            front,
        }
    }

    fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.front.base())
    }
}

/// One token to try: what it is, its claims, and how it is signed.
struct Case {
    what: String,
    allowed: Value,
    /// The same token for another audience or client.
    denied: Value,
    key: Signer,
}

#[derive(Clone, Copy)]
enum Signer {
    Es256,
    Rs256,
    LegacySecret,
}

/// Tokens shaped like `provider`'s real ones, for the issuer in `env`.
fn cases(provider: &str, env: &BTreeMap<String, String>) -> Vec<Case> {
    let iss = env["JWT_ISSUER"].as_str();
    let (iat, exp) = (now() - 30, now() + 900);
    let pair = |what: &str, allowed: Value, field: &str, other: Value, key: Signer| {
        let mut denied = allowed.clone();
        denied[field] = other;
        Case {
            what: what.to_owned(),
            allowed,
            denied,
            key,
        }
    };
    let csv = |name: &str| -> Vec<String> {
        env.get(name)
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    match provider {
        "supabase" => {
            let claims = json!({"iss": iss, "sub": "4b3a8e3c-1f0e-4d3b-9b1e-2a7c5d9e0f11",
                "aud": "authenticated", "exp": exp, "iat": iat, "email": "user@example.com",
                "phone": "", "app_metadata": {"provider": "email", "providers": ["email"]},
                "user_metadata": {}, "role": "authenticated", "aal": "aal1",
                "amr": [{"method": "password", "timestamp": iat}],
                "session_id": "c2f1a0de-6b3e-4d8f-9a51-0e7f3c2b1a44", "is_anonymous": false});
            let mut cases = vec![pair(
                "signing-key token",
                claims.clone(),
                "aud",
                json!("other-audience"),
                Signer::Es256,
            )];
            if env.contains_key("JWT_SECRET_ARN") {
                cases.push(pair(
                    "legacy HS256 token",
                    claims,
                    "aud",
                    json!("other-audience"),
                    Signer::LegacySecret,
                ));
            }
            cases
        }
        "auth0" => {
            let audience = csv("JWT_AUDIENCE")[0].clone();
            let claims = json!({"iss": iss, "sub": "auth0|64f1c2a9b3e4d5f6a7b8c9d0",
                "aud": [audience, format!("{iss}userinfo")], "iat": iat, "exp": exp,
                "scope": "openid profile email read:orders", "azp": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
                "permissions": ["read:orders"]});
            vec![pair(
                "access token",
                claims,
                "aud",
                json!(["https://other-api.example.com"]),
                Signer::Rs256,
            )]
        }
        "clerk" => {
            let azp = csv("JWT_AUTHORIZED_PARTIES")[0].clone();
            let claims = json!({"iss": iss, "sub": "user_2abcDEFghiJKLmnoPQRstuVWXyz",
                "azp": azp, "sid": "sess_2abcDEFghiJKLmnoPQRstuVWXyz", "iat": iat,
                "nbf": iat - 10, "exp": now() + 60, "v": 2, "fva": [0, -1]});
            vec![pair(
                "session token",
                claims,
                "azp",
                json!("https://evil.example.com"),
                Signer::Rs256,
            )]
        }
        "cognito" => {
            let client = csv("JWT_CLIENT_IDS")[0].clone();
            let uses = csv("JWT_TOKEN_USE");
            let mut cases = Vec::new();
            if uses.iter().any(|u| u == "access") {
                let access = json!({"iss": iss, "sub": "a1b2c3d4-0000-4000-8000-000000000001",
                    "token_use": "access", "client_id": client, "scope": "aws.cognito.signin.user.admin",
                    "auth_time": iat, "iat": iat, "exp": exp, "jti": "0d3b1c2a-1111-4222-8333-444455556666",
                    "origin_jti": "9f8e7d6c-1111-4222-8333-444455556666", "event_id": "e-1",
                    "username": "a1b2c3d4-0000-4000-8000-000000000001", "cognito:groups": ["admins"]});
                cases.push(pair(
                    "access token",
                    access,
                    "client_id",
                    json!("2otherclient3456789abcdefg"),
                    Signer::Rs256,
                ));
            }
            if uses.iter().any(|u| u == "id") {
                let id = json!({"iss": iss, "sub": "a1b2c3d4-0000-4000-8000-000000000001",
                    "token_use": "id", "aud": client, "email": "user@example.com", "email_verified": true,
                    "cognito:username": "a1b2c3d4-0000-4000-8000-000000000001",
                    "auth_time": iat, "iat": iat, "exp": exp, "jti": "1d3b1c2a-1111-4222-8333-444455556666",
                    "origin_jti": "9f8e7d6c-1111-4222-8333-444455556666", "event_id": "e-1"});
                cases.push(pair(
                    "ID token",
                    id,
                    "aud",
                    json!("2otherclient3456789abcdefg"),
                    Signer::Rs256,
                ));
            }
            cases
        }
        "firebase" => {
            let project = iss.trim_start_matches("https://securetoken.google.com/");
            let claims = json!({"iss": iss, "aud": project, "auth_time": iat, "user_id": "Xk9aBcDeFgHiJkLmNoPqRsTuVw12",
                "sub": "Xk9aBcDeFgHiJkLmNoPqRsTuVw12", "iat": iat, "exp": exp, "name": "Ada",
                "email": "user@example.com", "email_verified": true,
                "firebase": {"identities": {"email": ["user@example.com"]}, "sign_in_provider": "password"}});
            vec![pair(
                "ID token",
                claims,
                "aud",
                json!("another-project"),
                Signer::Rs256,
            )]
        }
        "oidc" => {
            let audience = csv("JWT_AUDIENCE")[0].clone();
            let claims = json!({"ver": 1, "jti": "AT.abc", "iss": iss, "aud": audience, "iat": iat, "exp": exp,
                "cid": "0oa1b2c3d4E5F6g7H8i9", "uid": "00u1b2c3d4E5F6g7H8i9", "scp": ["openid", "orders"],
                "auth_time": iat, "sub": "user@example.com"});
            vec![pair(
                "access token",
                claims,
                "aud",
                json!("api://other"),
                Signer::Rs256,
            )]
        }
        other => panic!("no token shape for {other}"),
    }
}

fn sign(idp: &Idp, signer: Signer, claims: &Value) -> String {
    match signer {
        Signer::Es256 => idp.es.token(Some("es-1"), claims),
        Signer::Rs256 => idp.rs.token(Some("rs-1"), claims),
        Signer::LegacySecret => TestKey::hs256(LEGACY_SECRET).token(None, claims),
    }
}

async fn decide(f: &LambdaProcess, token: &str) -> Value {
    f.invoke(&connect(token)).await.expect_response()
}

/// Deploys one guide command on paper and checks its tokens through the real binary.
async fn deploy_and_check(provider: &str, params: &Params, idp: &Idp) {
    let template = template();
    let label = format!("{provider} {params:?}");
    assert_eq!(
        params
            .iter()
            .find(|(k, _)| k == "JwtProfile")
            .map(|(_, v)| v.as_str()),
        Some(provider),
        "{label}: the guide names its profile"
    );
    let guide_stack = template
        .stack(params)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(
        guide_stack.refusals().expect("rules evaluate"),
        [],
        "{label}"
    );

    // Only where the keys are changes: a loopback HTTPS key set instead of the provider's.
    let local = with(params, "JwtJwksUrl", &idp.jwks_url());
    let stack = template
        .stack(&local)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(stack.refusals().expect("rules evaluate"), [], "{label}");
    let env = stack.environment("AuthorizerFunction").expect("renders");
    assert!(
        !env.contains_key("JWT_SECRET"),
        "the template never sets JWT_SECRET"
    );
    assert_eq!(env["JWT_PROFILE"], provider);

    let fake = match env.get("JWT_SECRET_ARN") {
        Some(_) => Some(AwsFake::start(LEGACY_SECRET).await),
        None => None,
    };
    let ca = idp.front.ca_path().to_str().expect("utf-8").to_owned();
    let mut vars: Vec<(String, String)> = env.clone().into_iter().collect();
    vars.push(("EXTRA_CA_CERTS".into(), ca));
    if let Some(fake) = &fake {
        vars.extend(fake.env().into_iter().map(|(k, v)| (k.to_owned(), v)));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let f = LambdaProcess::start(&binary("authorizer"), &vars).await;

    let prefix = stack.parameter("TokenPrefix").unwrap_or_default();
    let suffix = stack.parameter("TokenSuffix").unwrap_or_default();
    let expression = identity_validation(&stack);
    let context_claims: Vec<&str> = env
        .get("JWT_CONTEXT_CLAIMS")
        .map(|c| c.split(',').collect())
        .unwrap_or_default();
    let cases = cases(provider, &env);
    assert!(!cases.is_empty(), "{label}: no token to try");
    for case in &cases {
        let what = format!("{label}: {}", case.what);
        let jwt = sign(idp, case.key, &case.allowed);
        let wrapped = format!("{prefix}{jwt}{suffix}");
        if let Some(re) = &expression {
            assert!(re.is_match(&wrapped), "{what}: AppSync would reject {re}");
            assert!(!re.is_match(&jwt), "{what}: an unwrapped token passes {re}");
        }
        let answer = decide(&f, &wrapped).await;
        assert_eq!(
            answer["isAuthorized"],
            true,
            "{what}: {answer}\n{}",
            f.logs().join("\n")
        );
        let context = &answer["handlerContext"];
        assert_eq!(context["sub"], case.allowed["sub"], "{what}: {answer}");
        // Extra context claims the token carries reach the context (an access token, say,
        // has no email).
        for claim in context_claims
            .iter()
            .filter(|c| case.allowed.get(**c).is_some())
        {
            assert!(
                context.get(*claim).is_some(),
                "{what}: {claim} not in {answer}"
            );
        }

        let other = format!("{prefix}{}{suffix}", sign(idp, case.key, &case.denied));
        let answer = decide(&f, &other).await;
        assert_eq!(
            answer["isAuthorized"], false,
            "{what}, other audience/client: {answer}"
        );
        assert_eq!(answer["ttlOverride"], 0, "{what}: a deny is never cached");
        let reason = last_reason(&f);
        assert!(
            ["audience_mismatch", "profile_rejected"].contains(&reason.as_str()),
            "{what}: denied for {reason}, not for its audience/client"
        );
    }
    if let Some(fake) = &fake {
        assert_eq!(
            fake.calls(),
            ["secretsmanager.GetSecretValue"],
            "{label}: the secret is read once"
        );
        // The legacy secret signs nothing the key set would accept, and vice versa.
        let forged = TestKey::hs256("a-different-secret-of-at-least-32-bytes!!")
            .token(None, &cases[0].allowed);
        assert_eq!(
            decide(&f, &format!("{prefix}{forged}{suffix}")).await["isAuthorized"],
            false
        );
        assert_eq!(last_reason(&f), "bad_signature");
    }
}

#[tokio::test]
async fn every_provider_guide_deploys_and_authorizes_its_tokens() {
    let idp = Idp::start().await;
    let mut deployed = Vec::new();
    for provider in PROVIDERS {
        let commands = deploy_commands(&guide(provider));
        assert!(
            !commands.is_empty(),
            "docs/providers/{provider}.md has no sam deploy command"
        );
        for params in &commands {
            deploy_and_check(provider, params, &idp).await;
            deployed.push(provider);
        }
    }
    for provider in PROVIDERS {
        assert!(deployed.contains(&provider), "{provider} not deployed");
    }
}

#[test]
fn the_providers_index_links_every_guide() {
    let index = guide("README");
    for provider in PROVIDERS {
        assert!(index.contains(&format!("({provider}.md)")), "{provider}");
    }
}

/// A guide's command without one parameter, with another, or with nothing at all.
fn broken_sets() -> Vec<(&'static str, Params, &'static str, &'static str)> {
    let first = |provider: &str| deploy_commands(&guide(provider)).remove(0);
    vec![
        (
            "no issuer and no configuration document",
            Vec::new(),
            "IssuerOrConfigDocument",
            "JWT_ISSUER:",
        ),
        (
            "auth0 without an audience",
            without(&first("auth0"), "JwtAudience"),
            "AudienceForAuth0AndOidc",
            "JWT_AUDIENCE:",
        ),
        (
            "oidc without an audience",
            without(&first("oidc"), "JwtAudience"),
            "AudienceForAuth0AndOidc",
            "JWT_AUDIENCE:",
        ),
        (
            "clerk without authorized parties",
            without(&first("clerk"), "JwtAuthorizedParties"),
            "AuthorizedPartiesForClerk",
            "JWT_AUTHORIZED_PARTIES:",
        ),
        (
            "cognito without client ids",
            without(&first("cognito"), "JwtClientIds"),
            "ClientIdsForCognito",
            "JWT_CLIENT_IDS:",
        ),
        (
            "a configuration document and an issuer",
            with(
                &first("supabase"),
                "AuthorizerConfigParameter",
                "/events-auth/config",
            ),
            "ConfigDocumentAlone",
            "set next to AUTHORIZER_CONFIG_PARAMETER",
        ),
        (
            "a configuration document and a profile",
            vec![
                (
                    "AuthorizerConfigParameter".into(),
                    "/events-auth/config".into(),
                ),
                ("JwtProfile".into(), "cognito".into()),
                ("JwtTokenUse".into(), "id".into()),
            ],
            "ConfigDocumentAlone",
            "",
        ),
        (
            "a configuration document and an audience",
            vec![
                (
                    "AuthorizerConfigParameter".into(),
                    "/events-auth/config".into(),
                ),
                ("JwtAudience".into(), "authenticated".into()),
            ],
            "ConfigDocumentAlone",
            "JWT_AUDIENCE: set next to AUTHORIZER_CONFIG_PARAMETER",
        ),
    ]
}

#[tokio::test]
async fn parameter_sets_that_cannot_start_are_refused_at_deploy_time() {
    let template = template();
    for (what, params, rule, variable) in broken_sets() {
        let stack = template
            .stack(&params)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let refusals = stack.refusals().expect("rules evaluate");
        let refusal = refusals
            .iter()
            .find(|r| r.rule == rule)
            .unwrap_or_else(|| panic!("{what}: not refused by {rule}: {refusals:?}"));
        assert!(
            refusal.description.contains("set") || refusal.description.contains("Set"),
            "{what}: the description says what to set: {}",
            refusal.description
        );
        let env = stack.environment("AuthorizerFunction").expect("renders");
        if variable.is_empty() {
            // Without the rule these would be silently ignored, not fatal.
            assert!(!env.contains_key("JWT_PROFILE") && !env.contains_key("JWT_TOKEN_USE"));
            continue;
        }
        // Without the rule, the function would exit at every cold start.
        let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut f = LambdaProcess::spawn(&binary("authorizer"), &vars).await;
        f.wait_exit(Duration::from_secs(10)).await;
        let logs = f.logs().join("\n");
        assert!(
            logs.contains(variable),
            "{what}: {variable} not named in:\n{logs}"
        );
    }
}

#[test]
fn list_parameters_refuse_empty_items_before_any_rule_runs() {
    // A stray comma or a blank value would pass a Rule's "not empty" test and still leave
    // the function an empty list at cold start: the parameter's pattern refuses it.
    let template = template();
    let auth0 = deploy_commands(&guide("auth0")).remove(0);
    let clerk = deploy_commands(&guide("clerk")).remove(0);
    let cognito = deploy_commands(&guide("cognito")).remove(0);
    for (params, key) in [
        (&auth0, "JwtAudience"),
        (&auth0, "JwtContextClaims"),
        (&clerk, "JwtAuthorizedParties"),
        (&cognito, "JwtClientIds"),
    ] {
        for bad in [",", " ", "a,,b", "a,", ", a"] {
            let err = template
                .stack(&with(params, key, bad))
                .expect_err("refused by the parameter's pattern");
            assert!(err.starts_with(key), "{key}={bad:?}: {err}");
        }
        let good = if key == "JwtClientIds" {
            "abc,def"
        } else {
            "a, b"
        };
        template
            .stack(&with(params, key, good))
            .expect("a list with a space after the comma");
    }
}

#[tokio::test]
async fn graphql_attach_is_scoped_to_one_api_and_outputs_its_exact_config() {
    let template = template();
    let path = workspace_root().join("docs/graphql.md");
    let documented = deploy_commands(&std::fs::read_to_string(path).expect("docs/graphql.md"));
    let [documented] = documented.as_slice() else {
        panic!("docs/graphql.md has one sam deploy command: {documented:?}");
    };
    let api_id = documented
        .iter()
        .find(|(k, _)| k == "GraphqlApiId")
        .map(|(_, v)| v.clone())
        .expect("the documented command sets GraphqlApiId");
    let base = without(documented, "GraphqlApiId");

    let stack = template.stack(&base).expect("binds");
    assert_eq!(
        stack.resource("GraphqlInvokePermission").expect("renders"),
        None
    );
    assert_eq!(
        stack
            .output("GraphqlLambdaAuthorizerConfig")
            .expect("renders"),
        None
    );

    let attached = with(documented, "AuthCacheTtlSeconds", "120");
    let stack = template.stack(&attached).expect("binds");
    assert_eq!(stack.refusals().expect("rules"), []);
    let permission = stack
        .resource("GraphqlInvokePermission")
        .expect("renders")
        .expect("created with GraphqlApiId");
    let props = &permission["Properties"];
    assert_eq!(props["Action"], "lambda:InvokeFunction");
    assert_eq!(props["Principal"], "appsync.amazonaws.com");
    assert_eq!(props["FunctionName"], "<AuthorizerFunction.Arn>");
    assert_eq!(
        props["SourceArn"],
        format!(
            "arn:aws:appsync:{}:{}:apis/{api_id}",
            testkit::cfn::REGION,
            testkit::cfn::ACCOUNT
        )
    );
    assert_eq!(props["SourceAccount"], testkit::cfn::ACCOUNT);

    let config: Value = serde_json::from_str(
        &stack
            .output("GraphqlLambdaAuthorizerConfig")
            .expect("renders")
            .expect("output"),
    )
    .expect("the output is JSON");
    assert_eq!(config["authorizerUri"], "<AuthorizerFunction.Arn>");
    assert_eq!(config["authorizerResultTtlInSeconds"], 120);
    let expression = identity_validation(&stack).expect("a wrapper is configured");
    assert_eq!(
        config["identityValidationExpression"],
        expression.as_str(),
        "same as the Events API's"
    );
    assert_eq!(config.as_object().map(|o| o.len()), Some(3));

    // No wrapper: no expression, in the Events API and the GraphQL config alike.
    let raw = with(&attached, "TokenPrefix", "");
    let stack = template.stack(&raw).expect("binds");
    assert!(identity_validation(&stack).is_none());
    let config: Value = serde_json::from_str(
        &stack
            .output("GraphqlLambdaAuthorizerConfig")
            .expect("renders")
            .expect("output"),
    )
    .expect("JSON");
    assert!(
        config.get("identityValidationExpression").is_none(),
        "{config}"
    );

    // The documented parameters answer a GraphQL request through the real binary.
    let idp = Idp::start().await;
    let local = with(documented, "JwtJwksUrl", &idp.jwks_url());
    let stack = template.stack(&local).expect("binds");
    let env = stack.environment("AuthorizerFunction").expect("renders");
    let ca = idp.front.ca_path().to_str().expect("utf-8");
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vars.push(("EXTRA_CA_CERTS", ca));
    let f = LambdaProcess::start(&binary("authorizer"), &vars).await;
    let case = &cases("supabase", &env)[0];
    let prefix = stack.parameter("TokenPrefix").unwrap_or_default();
    let wrapped = format!("{prefix}{}", sign(&idp, case.key, &case.allowed));
    assert!(
        identity_validation(&stack)
            .expect("expression")
            .is_match(&wrapped)
    );
    let answer = f.invoke(&graphql(&wrapped)).await.expect_response();
    assert_eq!(answer["isAuthorized"], true, "{answer}");
    assert_eq!(
        answer["resolverContext"]["sub"], case.allowed["sub"],
        "{answer}"
    );
    let other = format!("{prefix}{}", sign(&idp, case.key, &case.denied));
    let answer = f.invoke(&graphql(&other)).await.expect_response();
    assert_eq!(answer["isAuthorized"], false, "{answer}");
}

#[test]
fn guide_commands_are_read_whole() {
    let commands = deploy_commands(
        "```sh\nsam build\nsam deploy --parameter-overrides \\\n  A=1 \\\n  B=x,y --guided\n```\n```ts\nsam deploy --parameter-overrides C=3\n```\n",
    );
    assert_eq!(
        commands,
        [vec![
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), "x,y".to_owned())
        ]]
    );
}
