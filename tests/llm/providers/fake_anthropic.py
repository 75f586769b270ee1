"""A fake Anthropic Messages API (POST /v1/messages) with scripted replies and failures."""

from __future__ import annotations

import itertools

from fake_http import RecordedRequest, Reply, ScriptedServer

_ids = itertools.count(1)

DECISION_INPUT = {"probability_yes": 0.62, "orders": [
    {"action": "buy_yes", "price": 55, "quantity": 10}], "cancel_all": False,
    "reasoning": "The forecast favours rain."}


def message(content: list[dict[str, object]], stop_reason: str = "end_turn",
            **extra: object) -> dict[str, object]:
    """Return a Messages API reply body."""
    return {"id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant",
            "model": "claude-fake-1", "content": content, "stop_reason": stop_reason,
            "stop_sequence": None, "usage": {"input_tokens": 120, "output_tokens": 40},
            **extra}


def tool_use_reply(tool_input: object, name: str = "decision") -> Reply:
    return Reply(body=message([{"type": "tool_use", "id": f"toolu_{next(_ids):04d}",
                                "name": name, "input": tool_input}], "tool_use"))


def text_reply(text: str, stop_reason: str = "end_turn", **extra: object) -> Reply:
    return Reply(body=message([{"type": "text", "text": text}], stop_reason, **extra))


def error_reply(status: int, error_type: str, text: str,
                headers: dict[str, str] | None = None) -> Reply:
    """Return an Anthropic-style error; "{api_key}" in `text` echoes the request's key."""
    return Reply(status=status, headers=headers or {},
                 body={"type": "error", "error": {"type": error_type, "message": text}})


def default_reply(request: RecordedRequest) -> Reply:
    """Return DECISION_INPUT as the forced tool's input, or a text reply when no tool is forced."""
    choice = request.body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        return tool_use_reply(DECISION_INPUT, str(choice["name"]))
    return text_reply("Yes")


def fake_anthropic_server() -> ScriptedServer:
    return ScriptedServer(default_reply)
