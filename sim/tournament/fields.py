"""Typed reads from a parsed TOML table, with errors that name the file and the key."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from sim.config import ConfigError


class SpecError(ConfigError):
    """An invalid tournament spec. The message names the file, the key and the fix."""


class Table:
    """One TOML table and its dotted key path, e.g. `lineups.fast.agents[2]`.

    Each `take_*` method removes a key and checks its type. `finish` rejects the keys
    that no method took, so a misspelt key is an error instead of being ignored.
    """

    def __init__(self, data: object, path: str, source: str) -> None:
        self.path = path
        self.source = source
        if not isinstance(data, dict):
            raise self.error(f"expected a table, found {_type_name(data)}: write "
                             f"[{path}] or {path} = {{ ... }}")
        self.data = dict(data)

    def error(self, message: str, key: str | None = None) -> SpecError:
        """Return a SpecError for `key` of this table (or the table itself)."""
        return SpecError(f"{self.source}: {self.key_path(key)}: {message}")

    def key_path(self, key: str | None = None) -> str:
        if key is None:
            return self.path or "(top level)"
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def take(self, key: str) -> object | None:
        return self.data.pop(key, None)

    def take_table(self, key: str, required: bool = False) -> Table | None:
        value = self.data.pop(key, None)
        if value is None:
            if required:
                raise self.error(f"is missing: add a [{self.key_path(key)}] table", key)
            return None
        return Table(value, self.key_path(key), self.source)

    def take_string(self, key: str, default: str | None = None, required: bool = False,
                    choices: Iterable[str] | None = None) -> str | None:
        value = self.data.pop(key, None)
        if value is None:
            if required:
                raise self.error("is missing: add it as a quoted string", key)
            return default
        if not isinstance(value, str):
            raise self.error(f"{value!r} is invalid: use a quoted string", key)
        if choices is not None:
            allowed = tuple(choices)
            if value not in allowed:
                raise self.error(f"{value!r} is invalid: use one of {', '.join(allowed)}", key)
        return value

    def take_strings(self, key: str) -> tuple[str, ...]:
        value = self.data.pop(key, None)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(f"{value!r} is invalid: use a list of quoted strings, e.g. "
                             '["a", "b"]', key)
        return tuple(value)

    def take_bool(self, key: str, default: bool) -> bool:
        value = self.data.pop(key, None)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"{value!r} is invalid: use true or false", key)
        return value

    def take_int(self, key: str, default: int | None = None, minimum: int | None = None,
                 unit: str = "") -> int | None:
        value = self.data.pop(key, None)
        if value is None:
            return default
        return check_int(value, minimum, unit, lambda message: self.error(message, key))

    def take_number(self, key: str, default: float | None = None, minimum: float | None = None,
                    above: float | None = None, unit: str = "") -> float | None:
        """Take an int or float; `minimum` is inclusive and `above` exclusive."""
        value = self.data.pop(key, None)
        if value is None:
            return default
        finite = (isinstance(value, int | float) and not isinstance(value, bool)
                  and math.isfinite(value))
        valid = (finite and (minimum is None or value >= minimum)
                 and (above is None or value > above))
        if not valid:
            bound = (f" >= {minimum:g}" if minimum is not None
                     else f" > {above:g}" if above is not None else "")
            raise self.error(f"{value!r} is invalid: use a number{unit}{bound}", key)
        return float(value)

    def finish(self, known: Iterable[str]) -> None:
        """Raise for the first key that was not taken, listing the `known` keys."""
        if not self.data:
            return
        key = next(iter(self.data))
        raise self.error(f"key {key!r} is unknown: valid keys are {', '.join(sorted(known))}")


def check_int(value: object, minimum: int | None, unit: str,
              error: Callable[[str], SpecError]) -> int:
    """Return `value` if it is an int (not a bool) >= `minimum`, else raise `error(message)`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{value!r} is invalid: use a whole number{unit}")
    if minimum is not None and value < minimum:
        raise error(f"{value!r} is invalid: use a whole number >= {minimum}{unit}")
    return value


def _type_name(value: object) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false",
             list: "a list"}
    return names.get(type(value), type(value).__name__)
