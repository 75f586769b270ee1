"""An OpenAI-compatible chat server on 127.0.0.1 that always returns the same decision.

Beliefs get probability 0.7; decisions buy 5 YES at 55 with probability 0.7. Every reply
reports 100 prompt and 20 completion tokens, so costs are easy to check.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "loopback-model"
INPUT_TOKENS = 100
OUTPUT_TOKENS = 20

BELIEF = {"probability_yes": 0.7, "reasoning": "The base rate favours YES."}
DECISION = {"probability_yes": 0.7, "cancel_all": False, "reasoning": "YES is cheap.",
            "orders": [{"action": "buy_yes", "price": 55, "quantity": 5}]}


class LoopbackLLM:
    """The server; use as a context manager. `requests` counts the chat requests served."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> LoopbackLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                length = int(self.headers.get("content-length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests += 1
                schema = (request.get("response_format") or {}).get("schema") or {}
                reply = DECISION if "orders" in schema.get("properties", {}) else BELIEF
                body = json.dumps({
                    "id": "chatcmpl-loopback", "object": "chat.completion", "created": 1,
                    "model": MODEL,
                    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                 "message": {"role": "assistant", "content": json.dumps(reply)}}],
                    "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS,
                              "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS},
                }).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        return Handler
