"""An in-process provider whose replies are a pure function of the request, for tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from agents.llm.base import Completion, CompletionRequest, ProviderError

Reply = Callable[[CompletionRequest], str]


def hashed_decision(request: CompletionRequest) -> str:
    """A valid decision whose numbers depend only on the prompt and the seed."""
    digest = hashlib.sha256(json.dumps(request.cache_material()).encode()).digest()
    if request.schema_name == "belief":
        return json.dumps({"probability_yes": round(digest[0] / 255, 3), "reasoning": "hash"})
    if request.schema_name == "answer":
        return json.dumps({"answer": "yes" if digest[0] % 2 else "no"})
    action = ["buy_yes", "sell_yes", "buy_no", "sell_no"][digest[1] % 4]
    return json.dumps({
        "probability_yes": round(digest[0] / 255, 3),
        "orders": [{"action": action, "price": 30 + digest[2] % 40, "quantity": 1 + digest[3] % 9}],
        "cancel_all": digest[4] % 3 == 0,
        "reasoning": f"hash {digest[5]}",
    })


class ScriptedProvider:
    """Replies with `replies` in turn (strings or ProviderErrors), then with `fallback`."""

    name = "scripted"
    supports_logprobs = True

    def __init__(self, replies: list[str | ProviderError] | None = None,
                 fallback: Reply = hashed_decision, model: str = "scripted-1",
                 top_logprobs: tuple[tuple[str, float], ...] = ()) -> None:
        self.model = model
        self.replies = list(replies or [])
        self.fallback = fallback
        self.requests: list[CompletionRequest] = []
        self.top_logprobs = top_logprobs

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else self.fallback(request)
        if isinstance(reply, ProviderError):
            raise reply
        return Completion(text=reply, top_logprobs=self.top_logprobs, input_tokens=100,
                          output_tokens=20, stop_reason="stop")


class ForbiddenProvider:
    """Fails the test if called: replay mode must never reach a provider."""

    name = "scripted"
    supports_logprobs = True
    model = "scripted-1"

    async def complete(self, request: CompletionRequest) -> Completion:
        raise AssertionError("replay mode called the provider")
