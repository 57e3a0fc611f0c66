"""The GSME's attribute server: built from a profile's ``[zcl]`` / ``[zcl_rates]`` tables.

``[[zcl_publish]]`` entries (``cluster``, ``command``, ``fields``) are publishes the
device holds from installation (tariff, calendar, billing period), in the field names
of :mod:`gbcs.gbz.zcl_commands`.  The tables are read from the profile file (and the files it extends) because the
profile loader's ``[state]`` table holds COSEM values only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .profiles import Profile, ProfileError, profile_table
from .zcl_model import ZclModel


def zcl_tables(path: Path | None) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The ``[zcl]``, ``[zcl_rates]`` and ``[[zcl_publish]]`` tables of a profile file (empty without a file)."""
    return profile_table(path, "zcl"), profile_table(path, "zcl_rates"), profile_table(path, "zcl_publish", list)


def zcl_model_for(profile: Profile, now: float) -> ZclModel:
    """A fresh attribute server with the profile's initial values, its registers counting from ``now``."""
    state, rates, publishes = zcl_tables(profile.path)
    try:
        return ZclModel.from_tables(state, rates, now, publishes)
    except (ValueError, KeyError) as exc:
        raise ProfileError(f"{profile.path}: {exc}") from None


def zcl_history(path: Path | None) -> dict[str, Any]:
    """The ``[zcl_history]`` table: ``days`` of history held before commissioning, standing ``samples``."""
    return profile_table(path, "zcl_history")
