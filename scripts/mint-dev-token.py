#!/usr/bin/env python3
"""Mint a development token signed by the embedded development issuer.

The token is shaped like a Supabase access token (HS256 with the well-known local Supabase
secret, issuer http://127.0.0.1:54321/auth/v1), so the authorizer running with
dev/local.env accepts it. DEVELOPMENT ONLY: the secret is public.

Examples:
  scripts/mint-dev-token.py                      # fresh token, valid for 1 hour
  scripts/mint-dev-token.py --prefix supabase:   # wrapped the way clients send it
  scripts/mint-dev-token.py --sub 1234 --ttl 300
  scripts/mint-dev-token.py --exp 1767229200     # an already expired token
  scripts/mint-dev-token.py --claim aal=aal2 --claim is_anonymous=true

Needs PyJWT (`pip install pyjwt`; scripts/dev.sh installs it into .dev/venv).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_ENV = ROOT / "dev" / "local.env"

# The development user every sample and the dev loop use.
DEV_SUB = "8d0f5a7e-3f8e-4d8a-9b3c-2a6f1c9e7b10"
DEV_SESSION_ID = "5c9e2d4b-1a3f-4e6d-8b7c-0f1e2d3c4b5a"
DEV_EMAIL = "dev@example.com"


def read_env_file(path: Path = DEV_ENV) -> dict[str, str]:
    """Parses the KEY=VALUE lines of a dev env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip()
    return values


def dev_claims(*, sub: str = DEV_SUB, iss: str, iat: int, exp: int) -> dict[str, object]:
    """The claims local Supabase puts in an authenticated user's access token."""
    return {
        "iss": iss,
        "sub": sub,
        "aud": "authenticated",
        "exp": exp,
        "iat": iat,
        "email": DEV_EMAIL,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": iat}],
        "session_id": DEV_SESSION_ID,
        "is_anonymous": False,
    }


def sign(claims: dict[str, object], secret: str) -> str:
    """HS256-signs `claims` (deterministic: same claims and secret give the same token)."""
    import jwt  # PyJWT; imported here so --help works without it

    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


def parse_claim(text: str) -> tuple[str, object]:
    """`name=value`, where value is parsed as JSON when it is JSON (true, 3, {"a":1})."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--claim {text!r} is not name=value")
    name, value = text.split("=", 1)
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def main(argv: list[str]) -> int:
    env = read_env_file()
    parser = argparse.ArgumentParser(
        description="Print a development token signed by the embedded dev issuer (dev/local.env).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples:", 1)[1],
    )
    parser.add_argument("--sub", default=DEV_SUB, help="subject (default: the dev user)")
    parser.add_argument("--iss", default=env["JWT_ISSUER"], help="issuer (default: JWT_ISSUER)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until expiry (default 3600)")
    parser.add_argument("--iat", type=int, help="issued-at, Unix seconds (default: now)")
    parser.add_argument("--exp", type=int, help="expiry, Unix seconds (overrides --ttl)")
    parser.add_argument("--prefix", default="", help="wrapper prepended, e.g. supabase: (default none)")
    parser.add_argument(
        "--claim", action="append", default=[], type=parse_claim, metavar="NAME=VALUE",
        help="add or override a claim (repeatable; JSON values allowed)",
    )
    parser.add_argument("--secret", default=env["JWT_SECRET"], help="HS256 secret (default: JWT_SECRET)")
    parser.add_argument("--decode", action="store_true", help="also print the claims to stderr")
    args = parser.parse_args(argv)

    iat = args.iat if args.iat is not None else int(time.time())
    exp = args.exp if args.exp is not None else iat + args.ttl
    claims = dev_claims(sub=args.sub, iss=args.iss, iat=iat, exp=exp)
    claims.update(dict(args.claim))
    token = sign(claims, args.secret)
    if args.decode:
        print(json.dumps(claims, indent=2), file=sys.stderr)
    print(f"{args.prefix}{token}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
