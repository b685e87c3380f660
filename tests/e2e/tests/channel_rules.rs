//! Channel and GraphQL field rules through the real `authorizer` binary: the decision
//! table of `docs/channel-rules.md` end to end, including what each answer lets AppSync cache.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::binaries::binary;
use testkit::events::last_reason;
use testkit::idp::{JwksServer, TestKey, now};
use testkit::runtime::{LambdaProcess, Outcome};

const ALICE: &str = "2d4c9a1e-0000-4000-8000-00000000a11c";
const BOB: &str = "7f3b2c1d-0000-4000-8000-000000000b0b";

struct Fixture {
    idp: JwksServer,
    key: TestKey,
}

impl Fixture {
    async fn new() -> Self {
        let key = TestKey::es256();
        let idp = JwksServer::start(vec![key.jwk("k")]).await;
        Self { idp, key }
    }

    fn iss(&self) -> String {
        format!("{}/auth/v1", self.idp.base())
    }

    fn config(&self, rules: Value, extra: Value) -> String {
        let mut doc = json!({
            "issuers": [{"issuer": self.iss(), "profile": "supabase", "jwksUrl": self.idp.jwks_url()}],
            "channelRules": rules,
            "cacheTtlSeconds": 300,
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            doc[k] = v;
        }
        doc.to_string()
    }

    async fn start(&self, rules: Value, extra: Value) -> LambdaProcess {
        let config = self.config(rules, extra);
        LambdaProcess::start(&binary("authorizer"), &[("AUTHORIZER_CONFIG", &config)]).await
    }

    fn token(&self, sub: Value, extra: Value) -> String {
        let mut claims = json!({"iss": self.iss(), "sub": sub, "aud": "authenticated", "role": "authenticated",
                                "aal": "aal1", "is_anonymous": false, "iat": now() - 5, "exp": now() + 3600});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            claims[k] = v;
        }
        self.key.token(Some("k"), &claims)
    }
}

fn event(token: &str, operation: &str, channel: Option<&str>) -> Value {
    let mut context = json!({"apiId": "api", "accountId": "111122223333", "requestId": "r", "operation": operation});
    if let Some(channel) = channel {
        context["channel"] = json!(channel);
        context["channelNamespaceName"] = json!(channel.trim_start_matches('/').split('/').next());
    }
    json!({"authorizationToken": token, "requestContext": context, "requestHeaders": {}})
}

async fn ask(f: &LambdaProcess, token: &str, operation: &str, channel: Option<&str>) -> Value {
    match f.invoke(&event(token, operation, channel)).await {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("invocation error: {e}"),
    }
}

fn supabase_rules() -> Value {
    json!([
        {"channel": "/public/*", "operations": ["subscribe"]},
        {"channel": "/users/{sub}/*", "operations": ["subscribe", "publish"]},
        {"channel": "/orgs/{app_metadata.org_id}/*", "operations": ["subscribe", "publish"]},
        {"channel": "/announcements/*", "operations": ["subscribe"]},
        {"channel": "/announcements/*", "operations": ["publish"],
         "when": [{"claim": "app_metadata.role", "equals": "admin"}]},
        {"channel": "/secure/*", "operations": ["subscribe"],
         "when": [{"claim": "aal", "equals": "aal2"}, {"claim": "is_anonymous", "equals": false}]}
    ])
}

#[tokio::test]
async fn the_decision_table_holds_through_the_real_binary() {
    let fx = Fixture::new().await;
    let f = fx.start(supabase_rules(), json!({})).await;
    let alice = fx.token(
        json!(ALICE),
        json!({"app_metadata": {"org_id": "acme", "role": "member"}}),
    );
    let admin = fx.token(
        json!(BOB),
        json!({"app_metadata": {"org_id": "other", "role": "admin"}, "aal": "aal2"}),
    );
    let injector = fx.token(json!("a/b"), json!({"app_metadata": {"org_id": "*"}}));
    let no_org = fx.token(json!(ALICE), json!({}));
    let own_inbox = format!("/users/{ALICE}/inbox");
    let own_all = format!("/users/{ALICE}/*");
    let bobs_inbox = format!("/users/{BOB}/inbox");

    // (who, operation, channel, allowed, reason when denied)
    let table: Vec<(&str, &String, &str, &str, bool, &str)> = vec![
        ("alice", &alice, "EVENT_SUBSCRIBE", "/public/news", true, ""),
        ("alice", &alice, "EVENT_SUBSCRIBE", "/public/*", true, ""),
        (
            "alice",
            &alice,
            "EVENT_PUBLISH",
            "/public/news",
            false,
            "no_matching_rule",
        ),
        ("alice", &alice, "EVENT_SUBSCRIBE", &own_inbox, true, ""),
        ("alice", &alice, "EVENT_SUBSCRIBE", &own_all, true, ""),
        ("alice", &alice, "EVENT_PUBLISH", &own_inbox, true, ""),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            &bobs_inbox,
            false,
            "no_matching_rule",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/users/*",
            false,
            "wildcard_too_broad",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/orgs/acme/chat",
            true,
            "",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/orgs/other/chat",
            false,
            "no_matching_rule",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/orgs/*",
            false,
            "wildcard_too_broad",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/announcements/all",
            true,
            "",
        ),
        (
            "alice",
            &alice,
            "EVENT_PUBLISH",
            "/announcements/all",
            false,
            "condition_failed",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/secure/vault",
            false,
            "condition_failed",
        ),
        (
            "admin",
            &admin,
            "EVENT_PUBLISH",
            "/announcements/all",
            true,
            "",
        ),
        (
            "admin",
            &admin,
            "EVENT_SUBSCRIBE",
            "/secure/vault",
            true,
            "",
        ),
        (
            "admin",
            &admin,
            "EVENT_SUBSCRIBE",
            &own_inbox,
            false,
            "no_matching_rule",
        ),
        (
            "injector",
            &injector,
            "EVENT_SUBSCRIBE",
            "/users/a/b",
            false,
            "no_matching_rule",
        ),
        (
            "injector",
            &injector,
            "EVENT_SUBSCRIBE",
            "/users/a/*",
            false,
            "no_matching_rule",
        ),
        (
            "injector",
            &injector,
            "EVENT_SUBSCRIBE",
            "/orgs/x/y",
            false,
            "no_matching_rule",
        ),
        (
            "injector",
            &injector,
            "EVENT_SUBSCRIBE",
            "/orgs/*",
            false,
            "wildcard_too_broad",
        ),
        (
            "no org claim",
            &no_org,
            "EVENT_SUBSCRIBE",
            "/orgs/acme/chat",
            false,
            "no_matching_rule",
        ),
        (
            "alice",
            &alice,
            "EVENT_SUBSCRIBE",
            "/elsewhere/x",
            false,
            "no_matching_rule",
        ),
    ];
    for (who, token, operation, channel, allowed, reason) in table {
        let answer = ask(&f, token, operation, Some(channel)).await;
        let case = format!("{who} {operation} {channel}");
        assert_eq!(answer["isAuthorized"], allowed, "{case}: {answer}");
        // Every answer that depended on the channel is never cached.
        assert_eq!(answer["ttlOverride"], 0, "{case}: {answer}");
        if !allowed {
            assert_eq!(last_reason(&f), reason, "{case}");
        }
    }
}

#[tokio::test]
async fn connect_is_not_cached_with_channel_rules_unless_cache_connect_opts_in() {
    let fx = Fixture::new().await;
    let token = fx.token(json!(ALICE), json!({}));
    let ttl = |answer: &Value| {
        (
            answer["isAuthorized"].clone(),
            answer["ttlOverride"].clone(),
        )
    };
    let default = fx.start(supabase_rules(), json!({})).await;
    let answer = ask(&default, &token, "EVENT_CONNECT", None).await;
    assert_eq!(
        ttl(&answer),
        (json!(true), json!(0)),
        "safe whatever AppSync's cache key is"
    );
    let opted_in = fx
        .start(supabase_rules(), json!({"cacheConnect": true}))
        .await;
    let answer = ask(&opted_in, &token, "EVENT_CONNECT", None).await;
    assert_eq!(ttl(&answer), (json!(true), json!(300)));
    assert!(
        opted_in
            .logs()
            .iter()
            .any(|l| l.contains("cacheConnect is true")),
        "opting in is warned about at init"
    );
    let no_rules = fx.start(json!([]), json!({})).await;
    let answer = ask(&no_rules, &token, "EVENT_CONNECT", None).await;
    assert_eq!(
        ttl(&answer),
        (json!(true), json!(300)),
        "without rules connect is cached as any allow"
    );
}

#[tokio::test]
async fn connect_rules_gate_who_may_connect() {
    let fx = Fixture::new().await;
    let rules = json!([
        {"channel": "/app/*", "operations": ["connect", "subscribe"], "when": [{"claim": "is_anonymous", "equals": false}]}
    ]);
    let f = fx.start(rules, json!({})).await;
    let user = fx.token(json!(ALICE), json!({}));
    let anonymous = fx.token(json!(BOB), json!({"is_anonymous": true}));
    assert_eq!(
        ask(&f, &user, "EVENT_CONNECT", None).await["isAuthorized"],
        true
    );
    assert_eq!(
        ask(&f, &anonymous, "EVENT_CONNECT", None).await["isAuthorized"],
        false
    );
    assert_eq!(last_reason(&f), "condition_failed");
    assert_eq!(
        ask(&f, &anonymous, "EVENT_SUBSCRIBE", Some("/app/feed")).await["isAuthorized"],
        false
    );
}

#[tokio::test]
async fn graphql_rules_deny_fields_by_claim() {
    let fx = Fixture::new().await;
    let config = json!({
        "issuers": [{"issuer": fx.iss(), "jwksUrl": fx.idp.jwks_url()}],
        "graphqlRules": [{"deniedFields": ["Mutation.deleteItem"], "unless": [{"claim": "app_metadata.role", "equals": "admin"}]}]
    })
    .to_string();
    let f = LambdaProcess::start(&binary("authorizer"), &[("AUTHORIZER_CONFIG", &config)]).await;
    let graphql = |token: &str| {
        json!({"authorizationToken": token, "requestContext": {"apiId": "a", "accountId": "1", "requestId": "r",
               "queryString": "mutation { deleteItem(id: 1) }", "variables": {}}})
    };
    let member = fx.token(json!(ALICE), json!({"app_metadata": {"role": "member"}}));
    let admin = fx.token(json!(BOB), json!({"app_metadata": {"role": "admin"}}));
    let answer = f.invoke(&graphql(&member)).await.expect_response();
    assert_eq!(
        answer["deniedFields"],
        json!(["Mutation.deleteItem"]),
        "{answer}"
    );
    assert_eq!(answer["isAuthorized"], true);
    let answer = f.invoke(&graphql(&admin)).await.expect_response();
    assert!(
        answer.get("deniedFields").is_none(),
        "omitted when empty: {answer}"
    );
}

#[tokio::test]
async fn a_broken_rule_stops_the_cold_start_pointing_at_it() {
    let fx = Fixture::new().await;
    for (rules, needle) in [
        (
            json!([{"channel": "/users/{sub/*", "operations": ["subscribe"]}]),
            "channelRules[0]",
        ),
        (
            json!([{"channel": "/a/*", "operations": ["subscribe"]}, {"channel": "/b/*/c", "operations": ["publish"]}]),
            "channelRules[1]",
        ),
        (
            json!([{"channel": "/a/*", "operations": ["delete"]}]),
            "delete",
        ),
    ] {
        let config = fx.config(rules, json!({}));
        let mut f =
            LambdaProcess::spawn(&binary("authorizer"), &[("AUTHORIZER_CONFIG", &config)]).await;
        f.wait_exit(Duration::from_secs(10)).await;
        let logs = f.logs().join("\n");
        assert!(logs.contains(needle), "{needle} not named in:\n{logs}");
    }
}
