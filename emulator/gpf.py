"""The GPF: its copy of the GSME's data, answering GSME reads (the "reliable GPF" responses).

The copy starts from the GSME profile the GPF profile names (``[gpf] gsme_profile``,
default ``generic-gsme``); the GPF's own clusters are those of its own ``[zcl]`` table.
"""

from __future__ import annotations

from .gsme import zcl_model_for
from .profiles import Profile, load_profile, profile_table
from .zcl_model import ZclModel


def mirror_model_for(profile: Profile, now: float) -> ZclModel:
    """The GPF's copy of its GSME's attribute values."""
    name = "generic-gsme"
    if profile.path is not None:
        name = str(profile_table(profile.path, "gpf").get("gsme_profile", name))
    return zcl_model_for(load_profile(name), now)

