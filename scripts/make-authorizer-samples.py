#!/usr/bin/env python3
"""Regenerate events/authorizer/ (sample requests + exact expected answers) and dev/sam-local-env.json.

Tokens are signed by the embedded development issuer (dev/local.env) with fixed iat/exp, so
the output is reproducible byte for byte: running this again changes nothing unless the
dev issuer, the claims or the shapes below change. The expected answers are written from
the documented contract (README "Configuration" and the authorizer's response rules), not
captured from a run, so scripts/check-samples.sh is a real check of the authorizer.

Usage: scripts/make-authorizer-samples.py [--check]
  --check   exit 1 if a committed sample differs from what would be generated
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "events" / "authorizer"

_spec = importlib.util.spec_from_file_location("mint_dev_token", ROOT / "scripts" / "mint-dev-token.py")
assert _spec and _spec.loader
mint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mint)

ENV = mint.read_env_file()
ISSUER = ENV["JWT_ISSUER"]
SECRET = ENV["JWT_SECRET"]
PREFIX = ENV["TOKEN_PREFIXES"].split(",")[0].strip()
CACHE_TTL = int(ENV["AUTH_CACHE_TTL_SECONDS"])

IAT = 1767225600  # 2026-01-01T00:00:00Z
FAR_FUTURE = 4102444800  # 2100-01-01T00:00:00Z
EXPIRED = 1767229200  # 2026-01-01T01:00:00Z: one hour after IAT, long past

API_ID = "q4xz7ehpzbgvdmhkmx5wzmorsu"
ACCOUNT_ID = "111122223333"
REGION = "us-east-1"
HTTP_HOST = f"{API_ID}.appsync-api.{REGION}.amazonaws.com"
REALTIME_HOST = f"{API_ID}.appsync-realtime-api.{REGION}.amazonaws.com"
USER_AGENT = "aws-amplify/6.15.2 api/1 framework/2"
ORIGIN = "http://localhost:3000"

VALID = mint.sign(mint.dev_claims(iss=ISSUER, iat=IAT, exp=FAR_FUTURE), SECRET)
EXPIRED_TOKEN = mint.sign(mint.dev_claims(iss=ISSUER, iat=IAT, exp=EXPIRED), SECRET)
WRONG_ISSUER = mint.sign(
    mint.dev_claims(iss="https://attacker.example.com/auth/v1", iat=IAT, exp=FAR_FUTURE), SECRET
)

ALLOW_CONTEXT = {
    "sub": mint.DEV_SUB,
    "iss": ISSUER,
    "role": "authenticated",
    "aal": "aal1",
    "session_id": mint.DEV_SESSION_ID,
    "is_anonymous": "false",
}
EVENTS_ALLOW = {"isAuthorized": True, "handlerContext": ALLOW_CONTEXT, "ttlOverride": CACHE_TTL}
DENY = {"isAuthorized": False, "ttlOverride": 0}


def events_request(
    token: str, operation: str, request_id: str, channel: str | None = None, *, http: bool = False
) -> dict[str, object]:
    """An AppSync Events authorizer request (channel keys absent on connect)."""
    context: dict[str, object] = {
        "apiId": API_ID,
        "accountId": ACCOUNT_ID,
        "requestId": request_id,
        "operation": operation,
    }
    if channel is not None:
        context["channelNamespaceName"] = channel.split("/")[1]
        context["channel"] = channel
    headers = {
        "host": HTTP_HOST if http else REALTIME_HOST,
        "origin": ORIGIN,
        "user-agent": USER_AGENT,
        "x-forwarded-for": "203.0.113.10",
    }
    if http:
        headers["content-type"] = "application/json"
    return {"authorizationToken": token, "requestContext": context, "requestHeaders": headers}


def graphql_request(token: str) -> dict[str, object]:
    """An AppSync GraphQL authorizer request."""
    return {
        "authorizationToken": token,
        "requestContext": {
            "apiId": API_ID,
            "accountId": ACCOUNT_ID,
            "requestId": "0b9bb4c7-2f0e-4a51-9b8e-5d3c1a7f6e21",
            "queryString": "query GetOrder($id: ID!) {\n  getOrder(id: $id) {\n    id\n    status\n  }\n}\n",
            "operationName": "GetOrder",
            "variables": {"id": "order-42"},
        },
        "requestHeaders": {
            "host": f"{API_ID}.appsync-api.{REGION}.amazonaws.com",
            "content-type": "application/json",
            "origin": ORIGIN,
            "user-agent": USER_AGENT,
            "x-forwarded-for": "203.0.113.10",
        },
    }


SAMPLES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "connect": (events_request(VALID, "EVENT_CONNECT", "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"), EVENTS_ALLOW),
    "connect-prefixed": (
        events_request(PREFIX + VALID, "EVENT_CONNECT", "7a2b3c4d-5e6f-4071-9b8c-0d1e2f3a4b5c"),
        EVENTS_ALLOW,
    ),
    "connect-expired": (
        events_request(EXPIRED_TOKEN, "EVENT_CONNECT", "8b3c4d5e-6f70-4182-ac9d-1e2f3a4b5c6d"),
        DENY,
    ),
    "connect-wrong-issuer": (
        events_request(WRONG_ISSUER, "EVENT_CONNECT", "9c4d5e6f-7081-4293-bdae-2f3a4b5c6d7e"),
        DENY,
    ),
    "subscribe": (
        events_request(VALID, "EVENT_SUBSCRIBE", "ad5e6f70-8192-43a4-8ebf-3a4b5c6d7e8f", "/default/*"),
        EVENTS_ALLOW,
    ),
    "publish": (
        events_request(VALID, "EVENT_PUBLISH", "be6f7081-92a3-44b5-9fc0-4b5c6d7e8f90", "/default/orders", http=True),
        EVENTS_ALLOW,
    ),
    "graphql": (
        graphql_request(VALID),
        {"isAuthorized": True, "resolverContext": ALLOW_CONTEXT, "ttlOverride": CACHE_TTL},
    ),
}


def render(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def sam_local_env() -> dict[str, dict[str, str]]:
    """`sam local invoke --env-vars` file: the dev configuration per function logical id.

    SAM local only passes variables the template declares; the template's conditional ones
    that are absent here arrive as empty strings, which the functions treat as unset.
    """
    authorizer = ["JWT_PROFILE", "JWT_ISSUER", "JWT_SECRET", "TOKEN_PREFIXES", "AUTH_CACHE_TTL_SECONDS"]
    return {
        "AuthorizerFunction": {k: ENV[k] for k in authorizer},
        # local-events as the container reaches it: TLS (its certificate names
        # host.docker.internal), on the port of dev/local.env. README, `sam local invoke`.
        "PublisherFunction": {
            "EVENTS_ENDPOINT": "https://host.docker.internal:" + ENV["LOCAL_EVENTS_LISTEN"].rsplit(":", 1)[1],
            "PUBLISH_DYNAMODB_CHANNEL": ENV["PUBLISH_DYNAMODB_CHANNEL"],
            "PUBLISH_KINESIS_CHANNEL": ENV["PUBLISH_KINESIS_CHANNEL"],
        },
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    outputs = [(ROOT / "dev" / "sam-local-env.json", sam_local_env())]
    for name, (request, expected) in SAMPLES.items():
        outputs += [(OUT / f"{name}.json", request), (OUT / f"{name}.expected.json", expected)]
    for path, value in outputs:
        text = render(value)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale samples (run scripts/make-authorizer-samples.py):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
