"""Agent kinds by name, and construction of agents from their spec parameters."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from agents.protocol import Agent


class UnknownAgentError(ValueError):
    """An agent kind or parameter that does not exist; the message lists the valid ones."""


def agent_classes() -> dict[str, type]:
    """Return every agent class by its `kind`."""
    from agents import baselines
    from agents.llm import trader

    classes: dict[str, type] = {}
    for module in (baselines, trader):
        for value in vars(module).values():
            kind = getattr(value, "kind", None)
            defined_here = inspect.isclass(value) and value.__module__ == module.__name__
            if defined_here and isinstance(kind, str):
                classes[kind] = value
    for kind, factory in _extra_kinds.items():
        classes[kind] = factory
    return classes


_extra_kinds: dict[str, type] = {}


def register(kind: str) -> Callable[[type], type]:
    """Class decorator that makes an agent class available under `kind`."""

    def decorate(cls: type) -> type:
        _extra_kinds[kind] = cls
        return cls

    return decorate


def build_agent(kind: str, agent_id: str, rng: np.random.Generator, params: dict[str, object],
                outcome: int | None, services: object | None = None) -> Agent:
    """Construct an agent of `kind`.

    Passes `outcome` only to kinds that declare `needs_outcome`, and `services` (the LLM
    call machinery) only to kinds that declare `needs_services`.
    """
    classes = agent_classes()
    cls = classes.get(kind)
    if cls is None:
        raise UnknownAgentError(f"agent kind {kind!r} is unknown: use one of "
                                f"{', '.join(sorted(classes))}")
    accepted = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = [name for name in params if name not in accepted and not takes_any]
    if unknown:
        valid = [name for name in accepted
                 if name not in ("agent_id", "rng", "outcome", "services")]
        raise UnknownAgentError(f"agent {agent_id} ({kind}): parameter(s) {', '.join(unknown)} "
                                f"unknown: valid ones are {', '.join(valid) or 'none'}")
    kwargs = dict(params)
    if getattr(cls, "needs_outcome", False):
        if outcome is None:
            raise UnknownAgentError(f"agent {agent_id} ({kind}) needs a resolved question: "
                                    "this question has no outcome")
        kwargs["outcome"] = outcome
    if getattr(cls, "needs_services", False) and services is not None:
        kwargs["services"] = services
    try:
        return cls(agent_id, rng, **kwargs)
    except (TypeError, ValueError) as error:
        raise UnknownAgentError(f"agent {agent_id} ({kind}) cannot be built: {error}") from None
