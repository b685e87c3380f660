"""Loopback servers for the whole-process benchmark: a Lambda Runtime API and a JWKS host.

The Runtime API speaks the protocol a function's runtime client uses
(`GET /2018-06-01/runtime/invocation/next`, `POST .../<id>/response`, `.../<id>/error`,
`POST .../init/error`), one queued invocation at a time, and timestamps what it sees so
the harness can tell when a process finished init (its first `/next`) and when it
answered. Both servers bind 127.0.0.1 on a port the OS picks, and disable Nagle's
algorithm so small responses are never held back by delayed ACKs.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A function process killed between two requests resets its connection: expected.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):  # keep the benchmark output clean
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        # Status line, headers and body leave in one write, as from the real Runtime API (a
        # Go server that buffers small responses). http.server's own end_headers() + write()
        # sends two segments: the client then wakes on the headers and contends for its
        # socket lock with the kernel still delivering the body from the other CPU, which
        # charged the function 20-60 us of spinning per invocation that Lambda never shows.
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n")
        head.append(f"Content-Length: {len(body)}\r\n\r\n")
        self.wfile.write("".join(head).encode("latin-1") + body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class Invocation:
    """One queued event and, once the function answered, its outcome."""

    def __init__(self, payload: dict):
        self.id = str(uuid.uuid4())
        self.body = json.dumps(payload).encode()
        self.queued_at = 0.0
        self.answered_at = 0.0
        self.kind = ""  # "response" or "error"
        self.answer = None
        self.done = threading.Event()


class RuntimeApi:
    """A Runtime API for one function process."""

    def __init__(self):
        self._queue: queue.Queue[Invocation | None] = queue.Queue()
        self._inflight: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self.first_poll_at = 0.0
        self.init_error = None
        api = self

        class Handler(_Handler):
            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._send(404)
                if not api.first_poll_at:
                    api.first_poll_at = time.perf_counter()
                inv = api._queue.get()
                if inv is None:  # closing
                    return self._send(503)
                with api._lock:
                    api._inflight[inv.id] = inv
                deadline = int(time.time() * 1000) + 10_000
                self._send(200, inv.body, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": inv.id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                })

            def do_POST(self):
                body = self._body()
                now = time.perf_counter()
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = body.decode(errors="replace")
                    return self._send(202)
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
                    return self._send(404)
                with api._lock:
                    inv = api._inflight.pop(parts[1], None)
                if inv is None:
                    return self._send(400)
                self._send(202)
                inv.answered_at = now
                inv.kind = parts[2]
                inv.answer = json.loads(body) if body else None
                inv.done.set()

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def submit(self, payload: dict) -> Invocation:
        inv = Invocation(payload)
        inv.queued_at = time.perf_counter()
        self._queue.put(inv)
        return inv

    def invoke(self, payload: dict, timeout: float = 10.0) -> Invocation:
        inv = self.submit(payload)
        if not inv.done.wait(timeout):
            raise TimeoutError("the function did not answer within %.0f s" % timeout)
        return inv

    def close(self):
        self._queue.put(None)  # releases a poller still waiting
        self._server.shutdown()
        self._server.server_close()


class JwksServer:
    """Serves a key set at `<base>/auth/v1/.well-known/jwks.json` and counts fetches."""

    def __init__(self, jwks: dict):
        body = json.dumps(jwks).encode()
        self.hits = 0
        server = self

        class Handler(_Handler):
            def do_GET(self):
                if self.path != "/auth/v1/.well-known/jwks.json":
                    return self._send(404)
                server.hits += 1
                self._send(200, body, {"Content-Type": "application/json"})

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        self.issuer = f"http://{host}:{port}/auth/v1"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"

    def close(self):
        self._server.shutdown()
        self._server.server_close()
