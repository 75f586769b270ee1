"""Structured output of LLM traders: the JSON schemas, and validation of model replies.

Every probability in these schemas is named `probability_yes`: the probability that
the question resolves YES. A reply that gives a side and a confidence instead
(`{"answer": "no", "confidence": 0.9}`) is read as P(YES) = 1 - 0.9, never as 0.9.

Validation is strict where a guess could mislead a measurement: a probability of 85
is rejected (the model gets a repair request) rather than read as 0.85, while "85%"
carries its unit and is read as 0.85.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.protocol import OrderRequest
from market.types import MAX_PRICE, MIN_PRICE, Contract, OrderKind, Side

MAX_ORDER_QUANTITY = 10_000
"""Largest quantity one order in a reply may ask for; the exchange's collateral check
limits what actually trades."""

ACTIONS = ("buy_yes", "sell_yes", "buy_no", "sell_no")

REASONING_LENGTH = 240
"""Characters of reasoning a reply may hold; it keeps a whole reply within the trader's
output token limit."""

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "probability_yes": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "Your probability that the question resolves YES."},
        "orders": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "action": {"type": "string", "enum": list(ACTIONS)},
                    "price": {"type": "integer", "minimum": MIN_PRICE, "maximum": MAX_PRICE},
                    "quantity": {"type": "integer", "minimum": 1,
                                 "maximum": MAX_ORDER_QUANTITY},
                },
                "required": ["action", "price", "quantity"],
                "additionalProperties": False,
            },
        },
        "cancel_all": {"type": "boolean"},
        "reasoning": {"type": "string", "maxLength": REASONING_LENGTH},
    },
    "required": ["probability_yes", "orders", "cancel_all", "reasoning"],
    "additionalProperties": False,
}
"""JSON schema of a trading decision. An empty `orders` list with cancel_all false holds."""

BELIEF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "probability_yes": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "Your probability that the question resolves YES."},
        "reasoning": {"type": "string", "maxLength": REASONING_LENGTH},
    },
    "required": ["probability_yes", "reasoning"],
    "additionalProperties": False,
}
"""JSON schema of a verbal belief."""

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}
"""JSON schema of one Yes/No answer (sampling consistency)."""


class ReplyError(ValueError):
    """A model reply that is not valid; the message is written for a repair request."""


class RefusalError(ReplyError):
    """The model declined to answer."""


# Probability parsing


def parse_probability(value: object, field: str = "probability_yes") -> float:
    """Return a probability in [0, 1] from a number or a string such as "0.85" or "85%".

    Raises ReplyError for NaN, infinities, booleans, and numbers outside [0, 1] (a bare
    85 is rejected: it may mean 85% or be a mistake, so the model is asked again).
    """
    if isinstance(value, bool) or value is None:
        raise ReplyError(f"{field} must be a number between 0 and 1, found {value!r}")
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            number = float(text)
        except ValueError:
            raise ReplyError(f"{field} must be a number between 0 and 1, found {value!r}") from None
        if percent:
            number /= 100.0
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise ReplyError(f"{field} must be a number between 0 and 1, found {value!r}")
    if not math.isfinite(number):
        raise ReplyError(f"{field} must be a finite number between 0 and 1, found {value!r}")
    if not 0.0 <= number <= 1.0:
        hint = (f"; if you meant {number:g}%, write {number / 100:g}"
                if 1.0 < number <= 100.0 else "")
        raise ReplyError(f"{field} must be between 0 and 1, found {value!r}{hint}")
    return number


# Models


Quantity = Annotated[int, Field(ge=1, le=MAX_ORDER_QUANTITY)]


class OrderReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["buy_yes", "sell_yes", "buy_no", "sell_no"]
    price: int
    quantity: Quantity

    @field_validator("action", mode="before")
    @classmethod
    def _normalise_action(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower().replace(" ", "_").replace("-", "_")
        return value

    @field_validator("price", mode="before")
    @classmethod
    def _whole_cents(cls, value: object) -> object:
        return _whole_number(value, "price")

    @field_validator("quantity", mode="before")
    @classmethod
    def _whole_shares(cls, value: object) -> object:
        return _whole_number(value, "quantity")

    @field_validator("price")
    @classmethod
    def _price_range(cls, value: int) -> int:
        if not MIN_PRICE <= value <= MAX_PRICE:
            raise ValueError(f"must be a whole number of cents from {MIN_PRICE} to {MAX_PRICE}")
        return value

    def to_request(self) -> OrderRequest:
        side_name, contract_name = self.action.split("_")
        return OrderRequest(Side(side_name), self.price, self.quantity, Contract(contract_name),
                            OrderKind.LIMIT)


class DecisionReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    probability_yes: float
    orders: list[OrderReply] = Field(default_factory=list, max_length=10)
    cancel_all: bool = False
    reasoning: str = ""

    @model_validator(mode="before")
    @classmethod
    def _read_probability(cls, data: object) -> object:
        if isinstance(data, dict):
            data = dict(data)
            data["probability_yes"] = probability_from_fields(data)
            if data.get("orders") is None:
                data["orders"] = []
            if isinstance(data.get("reasoning"), str):
                data["reasoning"] = data["reasoning"][:2000]
        return data


class BeliefReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    probability_yes: float
    reasoning: str = ""

    @model_validator(mode="before")
    @classmethod
    def _read_probability(cls, data: object) -> object:
        if isinstance(data, dict):
            data = dict(data)
            data["probability_yes"] = probability_from_fields(data)
        return data


def probability_from_fields(data: dict[str, object]) -> float:
    """Return P(YES) from a reply's fields, checking any P(NO) it also gives.

    Accepts `probability_yes` (preferred), or an answer with a confidence:
    `{"answer": "no", "confidence": 0.9}` means P(YES) = 0.1. When both P(YES) and
    P(NO) are given they must sum to one within 0.02.
    """
    p_yes = data.get("probability_yes", data.get("p_yes"))
    p_no = data.get("probability_no", data.get("p_no"))
    if p_yes is not None:
        probability = parse_probability(p_yes)
        if p_no is not None:
            other = parse_probability(p_no, "probability_no")
            if abs(probability + other - 1.0) > 0.02:
                raise ReplyError(f"probability_yes {p_yes!r} and probability_no {p_no!r} do "
                                 "not sum to 1: give only probability_yes")
        return probability
    if p_no is not None:
        return 1.0 - parse_probability(p_no, "probability_no")
    answer = data.get("answer")
    confidence = data.get("confidence")
    if isinstance(answer, str) and confidence is not None:
        side = _yes_or_no(answer)
        value = parse_probability(confidence, "confidence")
        return value if side == "yes" else 1.0 - value
    raise ReplyError("probability_yes is missing: give your probability that the question "
                     "resolves YES as a number between 0 and 1")


# Reply text


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_REFUSAL = re.compile(r"^\s*(i'?m sorry|i cannot|i can'?t|i won'?t|i am unable|as an ai)",
                      re.IGNORECASE)


def extract_json_object(text: str) -> dict[str, object]:
    """Return the first JSON object in a reply, allowing code fences and prose around it."""
    if not text or not text.strip():
        raise ReplyError("the reply was empty: answer with one JSON object")
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (index for index, char in enumerate(candidate) if char == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    if _REFUSAL.match(text):
        raise RefusalError(f"the model declined: {text.strip()[:200]!r}")
    raise ReplyError(f"the reply holds no JSON object (it begins {text.strip()[:60]!r}): "
                     "answer with one JSON object and nothing else")


def parse_decision(text: str, structured: dict[str, object] | None = None) -> DecisionReply:
    """Validate a decision reply (structured output if the API gave one, else the text)."""
    data = structured if structured is not None else extract_json_object(text)
    return _validate(DecisionReply, data)


def parse_belief(text: str, structured: dict[str, object] | None = None) -> BeliefReply:
    """Validate a verbal belief reply."""
    data = structured if structured is not None else extract_json_object(text)
    return _validate(BeliefReply, data)


def parse_answer(text: str, structured: dict[str, object] | None = None) -> str:
    """Return "yes" or "no" from a one-word answer reply (JSON or plain text)."""
    if structured is not None and isinstance(structured.get("answer"), str):
        return _yes_or_no(structured["answer"])  # type: ignore[arg-type]
    try:
        data = extract_json_object(text)
    except RefusalError:
        raise
    except ReplyError:
        return _yes_or_no(text)
    answer = data.get("answer")
    if not isinstance(answer, str):
        raise ReplyError(f"answer is missing: reply {{\"answer\": \"yes\"}} or "
                         f"{{\"answer\": \"no\"}}, found {data!r}")
    return _yes_or_no(answer)


def _yes_or_no(text: str) -> str:
    word = re.sub(r"[^a-z]", "", text.strip().lower().split(maxsplit=1)[0]) if text.strip() else ""
    if word in ("yes", "y", "true"):
        return "yes"
    if word in ("no", "n", "false"):
        return "no"
    raise ReplyError(f"expected the answer yes or no, found {text.strip()[:40]!r}")


def _whole_number(value: object, field: str) -> object:
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a whole number, found {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{field} must be a whole number, found {value!r}")
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{field} must be a whole number, found {value!r}") from None
        return _whole_number(number, field)
    return value


def _validate(model: type[BaseModel], data: dict[str, object]) -> Any:
    try:
        return model.model_validate(data)
    except ReplyError:
        raise
    except ValidationError as error:
        problems = []
        for item in error.errors()[:3]:
            where = ".".join(str(part) for part in item["loc"]) or "reply"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message} (found {item.get('input')!r})")
        raise ReplyError("; ".join(problems)) from None
