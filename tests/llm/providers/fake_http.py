"""A scripted JSON HTTP server on 127.0.0.1 for provider tests: replies in order, records requests.

Each POST gets the next scripted `Reply`, or the server's default reply when the
script is empty. A reply may be delayed (to outlast a client timeout),
and "{api_key}" in its body is replaced by the key the request carried, so tests
can check that an echoed key never reaches errors or logs.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before sending the reply."""


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, object]

    def api_key(self) -> str | None:
        """Return the key sent as x-api-key or as an Authorization bearer token."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        authorization = self.headers.get("authorization", "")
        return authorization.removeprefix("Bearer ") if authorization else None


class ScriptedServer:
    """A ThreadingHTTPServer on 127.0.0.1 with a free port, serving from a thread.

    `default_reply(request)` builds the reply when the script is empty. Use as a
    context manager, or call start() and stop().
    """

    def __init__(self, default_reply: Callable[[RecordedRequest], Reply]) -> None:
        self.default_reply = default_reply
        self.script: list[Reply] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # Do not wait for a handler still sleeping in a slow reply when stopping.
        self._server.block_on_close = False
        # A short poll interval makes stop() quick: shutdown() waits for the next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.script:
                return self.script.pop(0)
        return self.default_reply(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                request = RecordedRequest("POST", self.path,
                                          {k.lower(): v for k, v in self.headers.items()}, body)
                reply = server._next_reply(request)
                if reply.delay:
                    time.sleep(reply.delay)
                text = json.dumps(reply.body).replace("{api_key}", request.api_key() or "")
                payload = text.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def free_port() -> int:
    """Return a 127.0.0.1 port that had no listener a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port_url() -> str:
    """Return a 127.0.0.1 URL on a port with no listener, for connection failures."""
    return f"http://127.0.0.1:{free_port()}"
