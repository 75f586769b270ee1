"""The LLM trader: asks a model for a probability of YES and orders, validates the reply.

One decision is one structured call. An invalid reply gets one repair request that
states the error; if that reply is invalid too, the trader holds and the decision
records why. A provider that still fails after its retries makes the trader hold; after
`max_failures` failed decisions in a row it holds for the rest of the session.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from agents.llm.base import ChatMessage, CompletionRequest
from agents.llm.client import CallResult
from agents.llm.cost import BudgetExceeded
from agents.llm.parsing import (
    ANSWER_SCHEMA,
    BELIEF_SCHEMA,
    DECISION_SCHEMA,
    RefusalError,
    ReplyError,
    parse_answer,
    parse_belief,
    parse_decision,
)
from agents.llm.prompt import (
    answer_messages,
    answer_prefix_messages,
    belief_messages,
    decision_messages,
    repair_messages,
)
from agents.llm.resilience import ProviderFailure
from agents.llm.services import LLMServices, default_services
from agents.protocol import Belief, Decision, ElicitationMethod, Observation, Question

logger = logging.getLogger(__name__)


@dataclass
class _CallLog:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    cache_hits: int = 0


class LLMTrader:
    """A trader driven by a language model.

    Parameters (all simple values, so `--agent llm:provider=openai,model=gpt-4o-mini`
    can set them):
      provider     "local", "anthropic", "openai", or "compatible" (any OpenAI-compatible
                   server at `base_url`)
      model        model id; empty means the provider's default
      base_url     server URL for "compatible" (and optionally "openai")
      temperature  sampling temperature of trading decisions
      persona      optional text describing the trader's style, added to the system prompt
      max_tokens   output token limit per call
      samples      number of answers for sampling-consistency elicitation
      max_failures failed decisions in a row after which the trader holds for good
    """

    kind = "llm"
    needs_services = True

    def __init__(self, agent_id: str, rng: np.random.Generator, provider: str = "local",
                 model: str = "", base_url: str = "", temperature: float = 0.7,
                 persona: str = "", max_tokens: int = 400, samples: int = 10,
                 max_failures: int = 3, services: LLMServices | None = None) -> None:
        if not 0.0 <= temperature <= 2.0:
            raise ValueError(f"agent {agent_id}: temperature {temperature!r} is invalid: use "
                             "a number from 0 to 2")
        if samples < 1:
            raise ValueError(f"agent {agent_id}: samples {samples!r} is invalid: use 1 or more")
        self.agent_id = agent_id
        self.rng = rng
        self.temperature = float(temperature)
        self.persona = persona
        self.max_tokens = int(max_tokens)
        self.samples = int(samples)
        self.max_failures = int(max_failures)
        self.services = services if services is not None else default_services()
        self.client = self.services.client(provider, model or None, base_url or None)
        self.failures_in_row = 0
        self.disabled_reason: str | None = None
        self.log = _CallLog()

    # Trading

    async def decide(self, observation: Observation) -> Decision:
        if self.disabled_reason is not None:
            return Decision(hold_reason=self.disabled_reason)
        messages = decision_messages(observation, self.persona)
        purpose = f"decision at t={observation.time:.3f}"
        faults: list[dict[str, object]] = []
        raw_replies: list[str] = []
        try:
            result = await self._call(messages, DECISION_SCHEMA, "decision", self.temperature,
                                      purpose, faults)
            raw_replies.append(result.completion.text)
            if result.completion.refusal:
                return self._hold(f"refused: {result.completion.refusal[:200]}", faults,
                                  raw_replies)
            try:
                reply = parse_decision(result.completion.text, result.completion.structured)
            except RefusalError as error:
                return self._hold(f"refused: {error}", faults, raw_replies)
            except ReplyError as error:
                logger.warning("agent %s: invalid decision reply (%s); asking for a repair",
                               self.agent_id, error)
                faults.append({"kind": "invalid_output", "message": str(error)})
                repair = repair_messages(messages, result.completion.text, str(error))
                result = await self._call(repair, DECISION_SCHEMA, "decision", self.temperature,
                                          purpose + " (repair)", faults)
                raw_replies.append(result.completion.text)
                try:
                    reply = parse_decision(result.completion.text, result.completion.structured)
                except ReplyError as second:
                    faults.append({"kind": "invalid_output", "message": str(second)})
                    return self._hold(f"invalid output after repair: {second}", faults,
                                      raw_replies)
        except ProviderFailure as error:
            return self._provider_failed(error, faults, raw_replies)
        except BudgetExceeded as error:
            self.disabled_reason = f"budget reached: {error}"
            return self._hold(self.disabled_reason, faults, raw_replies)

        self.failures_in_row = 0
        return Decision(
            orders=tuple(order.to_request() for order in reply.orders),
            probability=reply.probability_yes,
            reasoning=reply.reasoning,
            cancel_all=reply.cancel_all,
            details=self._details(faults, raw_replies),
        )

    # Elicitation

    async def elicit(self, question: Question, method: ElicitationMethod) -> Belief:
        try:
            if method is ElicitationMethod.VERBAL:
                return await self._elicit_verbal(question)
            if method is ElicitationMethod.TOKEN_PROBABILITY:
                return await self._elicit_token_probability(question)
            return await self._elicit_by_sampling(question)
        except (ProviderFailure, BudgetExceeded) as error:
            logger.warning("agent %s: static belief not elicited (%s)", self.agent_id, error)
            return Belief(None, method, {"error": str(error)})

    async def _elicit_verbal(self, question: Question) -> Belief:
        faults: list[dict[str, object]] = []
        messages = belief_messages(question, self.persona)
        result = await self._call(messages, BELIEF_SCHEMA, "belief", 0.0, "static belief",
                                  faults)
        try:
            reply = parse_belief(result.completion.text, result.completion.structured)
        except ReplyError as error:
            repair = repair_messages(messages, result.completion.text, str(error))
            result = await self._call(repair, BELIEF_SCHEMA, "belief", 0.0,
                                      "static belief (repair)", faults)
            try:
                reply = parse_belief(result.completion.text, result.completion.structured)
            except ReplyError as second:
                return Belief(None, ElicitationMethod.VERBAL,
                              {"error": str(second), "raw": result.completion.text[:500]})
        return Belief(reply.probability_yes, ElicitationMethod.VERBAL,
                      {"reasoning": reply.reasoning, "faults": faults})

    async def _elicit_token_probability(self, question: Question) -> Belief:
        method = ElicitationMethod.TOKEN_PROBABILITY
        if not self.client.provider.supports_logprobs:
            return Belief(None, method, {"error": f"provider {self.client.provider.name} gives "
                                                  "no token log-probabilities"})
        request = CompletionRequest(messages=answer_prefix_messages(question), schema=None,
                                    schema_name="answer", temperature=0.0, max_tokens=1,
                                    top_logprobs=20, seed=self._next_seed())
        result = await self.client.call(request, agent_id=self.agent_id,
                                        purpose="static belief (token probability)")
        self._count(result)
        probability, yes_mass, no_mass = yes_probability(result.completion.top_logprobs)
        return Belief(probability, method, {"p_yes_token": yes_mass, "p_no_token": no_mass,
                                            "tokens": [list(p) for p in
                                                       result.completion.top_logprobs[:10]]})

    async def _elicit_by_sampling(self, question: Question) -> Belief:
        method = ElicitationMethod.SAMPLING
        messages = answer_messages(question, self.persona)
        answers: list[str] = []
        invalid = 0
        for index in range(self.samples):
            request = CompletionRequest(messages=messages, schema=ANSWER_SCHEMA,
                                        schema_name="answer", temperature=1.0, max_tokens=10,
                                        seed=self._next_seed(), sample_index=index)
            result = await self.client.call(request, agent_id=self.agent_id,
                                            purpose=f"static belief (sample {index})")
            self._count(result)
            try:
                answers.append(parse_answer(result.completion.text, result.completion.structured))
            except ReplyError:
                invalid += 1
        if not answers:
            return Belief(None, method, {"error": "no valid answer among the samples",
                                         "invalid": invalid})
        return Belief(answers.count("yes") / len(answers), method,
                      {"yes": answers.count("yes"), "no": answers.count("no"),
                       "invalid": invalid})

    # Calls

    async def _call(self, messages: tuple[ChatMessage, ...], schema: dict[str, object],
                    schema_name: str, temperature: float, purpose: str,
                    faults: list[dict[str, object]]) -> CallResult:
        request = CompletionRequest(messages=messages, schema=schema, schema_name=schema_name,
                                    temperature=temperature, max_tokens=self.max_tokens,
                                    seed=self._next_seed())
        result = await self.client.call(request, agent_id=self.agent_id, purpose=purpose)
        faults.extend(result.faults)
        self._count(result)
        return result

    def _next_seed(self) -> int:
        return int(self.rng.integers(0, 2**31 - 1))

    def _count(self, result: CallResult) -> None:
        completion = result.completion
        self.log.calls += 1
        self.log.input_tokens += completion.input_tokens
        self.log.output_tokens += completion.output_tokens
        self.log.cost += result.cost
        self.log.cache_hits += int(result.cache_hit)

    def _provider_failed(self, error: ProviderFailure, faults: list[dict[str, object]],
                         raw_replies: list[str]) -> Decision:
        self.failures_in_row += 1
        faults.extend(fault for fault in error.faults if fault.get("kind") == "retry")
        faults.append({"kind": "provider_failure", "status": error.status,
                       "message": str(error)})
        logger.warning("agent %s: provider failed (%d in a row): %s", self.agent_id,
                       self.failures_in_row, error)
        if self.failures_in_row >= self.max_failures:
            self.disabled_reason = (f"provider failed {self.failures_in_row} decisions in a row; "
                                    "holding for the rest of the session")
            logger.warning("agent %s: %s", self.agent_id, self.disabled_reason)
            return self._hold(self.disabled_reason, faults, raw_replies)
        return self._hold(f"provider failed: {error}", faults, raw_replies)

    def _hold(self, reason: str, faults: list[dict[str, object]],
              raw_replies: list[str]) -> Decision:
        return Decision(hold_reason=reason, details=self._details(faults, raw_replies))

    def _details(self, faults: list[dict[str, object]],
                 raw_replies: list[str]) -> dict[str, object]:
        return {"provider": self.client.provider.name, "model": self.client.provider.model,
                "faults": faults, "raw": [reply[:1000] for reply in raw_replies]}


def yes_probability(top_logprobs: tuple[tuple[str, float], ...]) -> tuple[float | None,
                                                                           float, float]:
    """Return (P(Yes) / (P(Yes) + P(No)), P(Yes), P(No)) from first-token log-probabilities.

    Tokens count as Yes or No after stripping spaces and punctuation and lower-casing
    ("Yes", " yes", "YES" all count). Returns None as the probability when neither
    appears among the alternatives.
    """
    yes_mass = 0.0
    no_mass = 0.0
    for token, logprob in top_logprobs:
        word = "".join(char for char in token.lower() if char.isalpha())
        if word == "yes":
            yes_mass += math.exp(logprob)
        elif word == "no":
            no_mass += math.exp(logprob)
    if yes_mass + no_mass == 0.0:
        return None, 0.0, 0.0
    return yes_mass / (yes_mass + no_mass), yes_mass, no_mass
