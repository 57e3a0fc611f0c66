"""The GSME's attribute server: built from a profile's ``[zcl]`` / ``[zcl_rates]`` tables.

``[[zcl_publish]]`` entries (``cluster``, ``command``, ``fields``) are publishes the
device holds from installation (tariff, calendar, billing period), in the field names
of :mod:`gbcs.gbz.zcl_commands`.  The tables are read from the profile file (and the files it extends) because the
profile loader's ``[state]`` table holds COSEM values only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from .profiles import Profile, ProfileError, _read
from .zcl_model import ZclModel


@cache
def zcl_tables(path: Path | None) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The ``[zcl]``, ``[zcl_rates]`` and ``[[zcl_publish]]`` tables of a profile file (empty without a file)."""
    if path is None:
        return {}, {}, []
    data = _read(path)
    state, rates, publishes = data.get("zcl", {}), data.get("zcl_rates", {}), data.get("zcl_publish", [])
    if not isinstance(state, dict) or not isinstance(rates, dict) or not isinstance(publishes, list):
        raise ProfileError(f"{path}: [zcl] and [zcl_rates] must be tables, [[zcl_publish]] an array of tables")
    return state, rates, publishes


def zcl_model_for(profile: Profile, now: float) -> ZclModel:
    """A fresh attribute server with the profile's initial values, its registers counting from ``now``."""
    state, rates, publishes = zcl_tables(profile.path)
    try:
        return ZclModel.from_tables(state, rates, now, publishes)
    except (ValueError, KeyError) as exc:
        raise ProfileError(f"{profile.path}: {exc}") from None


@cache
def zcl_history(path: Path | None) -> dict[str, Any]:
    """The ``[zcl_history]`` table: ``days`` of history held before commissioning, standing ``samples``."""
    if path is None:
        return {}
    table = _read(path).get("zcl_history", {})
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: [zcl_history] must be a table")
    return table
