"""`run_tournament`: run every session of a spec into one store, resumably.

Resume. Sessions are identified by `session_id_for(question, config)`, which covers
the seed. On a run, every planned session already complete in the store is skipped.
Incomplete sessions (a killed run) and failed ones run again, and their new rows replace
the old ones. A session that raises is recorded as failed with its error and traceback,
and the tournament goes on. A session found complete under another tournament (an
earlier spec with overlapping sessions) is moved to this one, with a warning, because
the store records one tournament per session.

Budget. `llm.budget_usd` caps what this run spends. Each session is given what is left
when it starts. Once the spending reaches the cap, no new session starts. A session
whose LLM traders hit the cap is recorded as failed, so a rerun with a larger budget
redoes it.

NOTE: sessions in flight at the same time each get the whole remainder, so a run can
spend up to (sessions in flight) x the remainder; run with one session in flight
(the default local executor) for a tight cap.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from tqdm import tqdm

from agents.llm.providers import ProviderConfigError, create_provider
from sim.store import COMPLETE, FAILED, Store
from sim.tournament.executors import InProcessExecutor, SessionExecutor
from sim.tournament.fields import SpecError
from sim.tournament.plan import PlannedSession, TournamentPlan, plan_tournament
from sim.tournament.spec import TournamentSpec
from sim.tournament.storage import (
    INCOMPLETE,
    INTERRUPTED,
    claim_sessions,
    mark_started,
    record_tournament,
    session_states,
    set_tournament_status,
    write_outcome,
)
from sim.tournament.tasks import LLMSettings, SessionOutcome, SessionTask, format_error

logger = logging.getLogger(__name__)


@dataclass
class TournamentResult:
    """The sessions one `run_tournament` call skipped, ran and left, with its LLM totals.

    `skipped` and `not_started` list session ids in plan order, `ran` in the order the
    sessions started, and `completed` in the order they finished.
    """

    tournament_id: str
    planned: list[str]
    skipped: list[str] = field(default_factory=list)
    """Complete before this run, so not run again."""
    ran: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Session id to the first line of its error."""
    not_started: list[str] = field(default_factory=list)
    """Left for a rerun because the budget ran out."""
    status: str = INCOMPLETE
    llm_calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    """USD spent on LLM calls in this run."""


def run_tournament(spec: TournamentSpec, store: Store, executor: SessionExecutor | None = None,
                   *, progress: bool | None = None, check_providers: bool = True,
                   plan: TournamentPlan | None = None) -> TournamentResult:
    """Run the sessions of `spec` that are not complete in `store`; return what happened.

    `executor` defaults to one session at a time in this process, and is not closed
    here. `progress` shows a tqdm bar on stderr (None: only on a terminal).
    `check_providers` builds each LLM provider once first, so that a missing API key
    fails here instead of in every session. Raises SpecError for a bad spec and
    KeyboardInterrupt after marking the tournament interrupted.
    """
    plan = plan or plan_tournament(spec)
    if check_providers and spec.uses_llm:
        _check_providers(spec)
    tournament_id = plan.tournament_id
    result = TournamentResult(tournament_id, plan.session_ids)
    record_tournament(store, plan, spec)

    # Resume: skip complete sessions, take over those of an earlier tournament.
    states = session_states(store, plan.session_ids)
    todo: deque[PlannedSession] = deque()
    foreign: list[str] = []
    for planned in plan.sessions:
        status, owner = states.get(planned.session_id, (None, None))
        if status == COMPLETE:
            result.skipped.append(planned.session_id)
            if owner != tournament_id:
                foreign.append(planned.session_id)
        else:
            todo.append(planned)
    if foreign:
        logger.warning("tournament %s: %d complete session(s) of another tournament are reused "
                       "and now belong to this one", tournament_id, len(foreign))
        claim_sessions(store, foreign, tournament_id)
    logger.info("tournament %s started: %d sessions planned, %d already complete, %d to run",
                tournament_id, len(plan.sessions), len(result.skipped), len(todo))

    owned = executor is None
    executor = executor or InProcessExecutor()
    bar = tqdm(total=len(plan.sessions), initial=len(result.skipped), unit="session",
               desc=spec.name, file=sys.stderr, disable=None if progress is None else not progress,
               dynamic_ncols=True)
    try:
        _run(spec, store, executor, todo, result, bar)
    except BaseException:
        set_tournament_status(store, tournament_id, INTERRUPTED)
        logger.warning("tournament %s interrupted: %d of %d sessions complete; rerun the same "
                       "spec to finish it", tournament_id,
                       len(result.skipped) + len(result.completed), len(plan.sessions))
        raise
    finally:
        bar.close()
        if owned:
            executor.close()

    result.not_started = [planned.session_id for planned in todo]
    done = len(result.skipped) + len(result.completed)
    result.status = COMPLETE if done == len(plan.sessions) else INCOMPLETE
    set_tournament_status(store, tournament_id, result.status)
    logger.info("tournament %s %s: %d of %d sessions complete, %d failed, %d not started, "
                "%d LLM calls, %d tokens, %.4f USD", tournament_id, result.status, done,
                len(plan.sessions), len(result.failed), len(result.not_started),
                result.llm_calls, result.tokens, result.cost)
    return result


def _run(spec: TournamentSpec, store: Store, executor: SessionExecutor,
         todo: deque[PlannedSession], result: TournamentResult, bar: tqdm) -> None:
    """Keep `executor.slots` sessions in flight and write each outcome as it arrives."""
    tournament_id = result.tournament_id
    budget = spec.llm.budget_usd
    settings = LLMSettings.from_options(spec.llm) if spec.uses_llm else None
    llm_lineups = {lineup.name for lineup in spec.lineups if lineup.uses_llm}
    pending: dict[Future[SessionOutcome], PlannedSession] = {}

    while todo or pending:
        while todo and len(pending) < executor.slots:
            uses_llm = todo[0].lineup in llm_lineups
            left = None if budget is None or not uses_llm else budget - result.cost
            if left is not None and left <= 0:
                logger.warning("tournament %s: LLM budget of %.4f USD reached, so %d session(s) "
                               "are not started; rerun to run them", tournament_id, budget,
                               len(todo))
                break
            planned = todo.popleft()
            mark_started(store, planned, tournament_id)
            task = SessionTask(planned.session_id, planned.question, planned.config,
                               settings if uses_llm else None, left)
            pending[executor.submit(task)] = planned
            result.ran.append(planned.session_id)
        if not pending:
            break

        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            planned = pending.pop(future)
            outcome = _outcome(future, planned)
            write_outcome(store, planned, outcome, tournament_id)
            _count(result, outcome)
            bar.update(1)
            bar.set_postfix_str(f"failed={len(result.failed)}, tokens={result.tokens}, "
                                f"cost=${result.cost:.4f}", refresh=False)


def _outcome(future: Future[SessionOutcome], planned: PlannedSession) -> SessionOutcome:
    """Return the future's outcome, or a failed one when the executor itself failed."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - an executor fault fails only this session
        logger.warning("session %s failed in the executor: %r", planned.session_id, error)
        return SessionOutcome(planned.session_id, FAILED, error=format_error(error))


def _count(result: TournamentResult, outcome: SessionOutcome) -> None:
    result.llm_calls += len(outcome.calls)
    result.tokens += outcome.tokens
    result.cost += outcome.cost
    if outcome.status == COMPLETE:
        result.completed.append(outcome.session_id)
        return
    first_line = (outcome.error or "").splitlines()[0] if outcome.error else "failed"
    result.failed[outcome.session_id] = first_line
    logger.warning("session %s failed: %s", outcome.session_id, first_line)


def _check_providers(spec: TournamentSpec) -> None:
    """Build each distinct provider once; a missing key or package becomes a SpecError."""
    checked: set[tuple[str, str, str]] = set()
    for lineup in spec.lineups:
        for agent in lineup.agents:
            if agent.kind != "llm":
                continue
            key = (str(agent.params.get("provider", "local")), str(agent.params.get("model", "")),
                   str(agent.params.get("base_url", "")))
            if key in checked:
                continue
            checked.add(key)
            try:
                create_provider(key[0], key[1] or None, key[2] or None, spec.llm.timeout)
            except ProviderConfigError as error:
                raise SpecError(f"{spec.source}: lineups.{lineup.name}: agent "
                                f"{agent.agent_id}: {error}") from None
