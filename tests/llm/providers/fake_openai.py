"""A fake OpenAI Chat Completions API (POST /v1/chat/completions) with scripted replies."""

from __future__ import annotations

import itertools
import json

from fake_http import RecordedRequest, Reply, ScriptedServer

_ids = itertools.count(1)

DECISION = {"probability_yes": 0.3, "orders": [], "cancel_all": True,
            "reasoning": "The market price is too high."}

TOP_LOGPROBS = [("Yes", -0.4), ("No", -1.2), ("Maybe", -3.0)]


def completion(content: str | None, finish_reason: str = "stop", refusal: str | None = None,
               logprobs: object = None) -> dict[str, object]:
    """Return a Chat Completions reply body."""
    return {"id": f"chatcmpl-{next(_ids):04d}", "object": "chat.completion", "created": 1,
            "model": "gpt-fake-1", "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "finish_reason": finish_reason, "logprobs": logprobs,
                         "message": {"role": "assistant", "content": content,
                                     "refusal": refusal}}],
            "usage": {"prompt_tokens": 90, "completion_tokens": 30, "total_tokens": 120}}


def logprobs_body(pairs: list[tuple[str, float]]) -> dict[str, object]:
    token, logprob = pairs[0]
    return {"content": [{"token": token, "logprob": logprob, "bytes": None,
                         "top_logprobs": [{"token": t, "logprob": lp, "bytes": None}
                                          for t, lp in pairs]}]}


def error_reply(status: int, error_type: str, text: str,
                headers: dict[str, str] | None = None) -> Reply:
    """Return an OpenAI-style error; "{api_key}" in `text` echoes the request's key."""
    return Reply(status=status, headers=headers or {},
                 body={"error": {"message": text, "type": error_type, "param": None,
                                 "code": None}})


def default_reply(request: RecordedRequest) -> Reply:
    """Return DECISION for JSON output, TOP_LOGPROBS for a logprobs request, else "Yes"."""
    if request.body.get("response_format"):
        return Reply(body=completion(json.dumps(DECISION)))
    if request.body.get("logprobs"):
        return Reply(body=completion("Yes", logprobs=logprobs_body(TOP_LOGPROBS)))
    return Reply(body=completion("Yes"))


def fake_openai_server() -> ScriptedServer:
    return ScriptedServer(default_reply)
