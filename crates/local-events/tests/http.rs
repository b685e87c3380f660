//! The endpoint served in-process on an ephemeral loopback port, exercised over real HTTP.

use local_events::{Config, Server};
use serde_json::{Value, json};

const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

struct Running {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), local_events::Error>>,
}

impl Running {
    async fn start(config: Config) -> Self {
        let server = Server::bind(config).await.expect("binds loopback");
        let addr = server.local_addr().expect("bound");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            task,
        }
    }

    async fn publish(
        &self,
        authorization: Option<&str>,
        body: &Value,
    ) -> (u16, Option<String>, Value) {
        let mut request = self
            .client
            .post(format!("{}/event", self.base))
            .header("content-type", "application/json")
            .header("x-amz-date", "20260101T000000Z")
            .body(body.to_string());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body = response.text().await.expect("body read");
        (
            status,
            error_type,
            serde_json::from_str(&body).expect("JSON body"),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body read");
        (status, serde_json::from_str(&body).expect("JSON body"))
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(std::time::Duration::from_secs(5), self.task)
            .await
            .expect("graceful shutdown within 5 s")
            .expect("server task joins");
        assert!(result.is_ok(), "server stopped cleanly: {result:?}");
    }
}

fn sigv4(region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/{service}/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, Signature={SIGNATURE}"
    )
}

#[tokio::test]
async fn signed_publish_is_answered_like_appsync_and_listed_in_recent_events() {
    let server = Running::start(Config::ephemeral(["default"]).with_region("us-east-1")).await;
    let body = json!({"channel": "/default/orders", "events": ["{\"id\":1}", "{\"id\":2}"]});
    let (status, error_type, answer) = server
        .publish(Some(&sigv4("us-east-1", "appsync")), &body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(error_type, None);
    assert_eq!(answer["failed"], json!([]));
    let successful = answer["successful"].as_array().expect("successful list");
    assert_eq!(successful.len(), 2);
    assert_eq!(successful[1]["index"], 1);
    let identifier = successful[0]["identifier"].as_str().expect("identifier");

    let (status, recent) = server.get("/_local/events?channel=/default/*").await;
    assert_eq!(status, 200);
    let events = recent["events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["identifier"], identifier);
    assert_eq!(events[0]["channel"], "/default/orders");
    assert_eq!(events[0]["event"], "{\"id\":1}");
    assert_eq!(events[0]["authMode"], "AWS_IAM");
    assert_eq!(events[0]["signedRegion"], "us-east-1");
    assert_eq!(events[1]["sequence"], 2);

    let (_, after) = server.get("/_local/events?after=1").await;
    assert_eq!(after["events"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

#[tokio::test]
async fn missing_or_ill_formed_authorization_is_401_never_5xx() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let body = json!({"channel": "/default/a", "events": ["{}"]});
    for authorization in [None, Some("AWS4-HMAC-SHA256 Credential=broken")] {
        let (status, error_type, answer) = server.publish(authorization, &body).await;
        assert_eq!(status, 401, "{authorization:?}: {answer}");
        assert_eq!(error_type.as_deref(), Some("UnauthorizedException"));
        assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
    }
    let (_, recent) = server.get("/_local/events").await;
    assert_eq!(recent["events"], json!([]), "nothing refused is delivered");
    server.stop().await;
}

#[tokio::test]
async fn region_confusion_is_refused_with_both_regions_named() {
    let server = Running::start(Config::ephemeral(["default"]).with_region("us-east-1")).await;
    let body = json!({"channel": "/default/a", "events": ["{}"]});
    let (status, _, answer) = server
        .publish(Some(&sigv4("eu-west-1", "appsync")), &body)
        .await;
    assert_eq!(status, 401);
    let message = answer["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("eu-west-1") && message.contains("us-east-1"),
        "{message}"
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_publishes_are_400_bad_request_and_deliver_nothing() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let six: Vec<&str> = vec!["{}"; 6];
    let bodies = [
        json!({"channel": "/default/a", "events": six}),
        json!({"channel": "/default/*", "events": ["{}"]}),
        json!({"channel": "/unknown/a", "events": ["{}"]}),
        json!({"channel": "/default/a", "events": ["{}", "nope"]}),
        json!({"channel": "/default/a", "events": [{"raw": true}]}),
    ];
    for body in bodies {
        let (status, error_type, answer) = server.publish(Some("supabase:token"), &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(error_type.as_deref(), Some("BadRequestException"));
        assert_eq!(answer["errors"][0]["errorType"], "BadRequestException");
    }
    let (_, recent) = server.get("/_local/events").await;
    assert_eq!(recent["events"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn lambda_token_publish_is_accepted_without_a_signed_region() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let body = json!({"channel": "default/chat", "events": ["\"hello\""]});
    let (status, _, answer) = server.publish(Some("supabase:eyJ.x.y"), &body).await;
    assert_eq!(status, 200, "{answer}");
    let (_, recent) = server.get("/_local/events").await;
    assert_eq!(recent["events"][0]["authMode"], "AWS_LAMBDA");
    assert_eq!(recent["events"][0]["channel"], "/default/chat");
    assert!(recent["events"][0].get("signedRegion").is_none());
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_bad_queries_get_appsync_shaped_errors() {
    let server = Running::start(Config::ephemeral(["default"])).await;
    let (status, body) = server.get("/graphql").await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["errorType"], "NotFoundException");
    let (status, body) = server.get("/_local/events?channel=/a/b/c/d/e/f").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["errorType"], "BadRequestException");
    server.stop().await;
}
