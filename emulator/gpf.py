"""The GPF: its copy of the GSME's data, answering GSME reads (the "reliable GPF" responses).

The copy starts from the GSME profile the GPF profile names (``[gpf] gsme_profile``,
default ``generic-gsme``); the GPF's own clusters are those of its own ``[zcl]`` table.
When the GSME wakes on a simulated HAN it reports to the copy (:func:`sync_mirror`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .gsme import zcl_model_for
from .profiles import Profile, load_profile, profile_table
from .zcl_model import ZclModel

if TYPE_CHECKING:
    from .device import Device


def mirror_model_for(profile: Profile, now: float) -> ZclModel:
    """The GPF's copy of its GSME's attribute values."""
    name = "generic-gsme"
    if profile.path is not None:
        name = str(profile_table(profile.path, "gpf").get("gsme_profile", name))
    return zcl_model_for(load_profile(name), now)


def sync_mirror(gpf: Device, gsme: Device, now: float) -> int:
    """The GSME reports to the GPF: its ZCL attribute values as they are at ``now`` replace the copy's.

    Rate-driven registers keep counting in the copy from ``now``; publishes the GPF keeps
    and attributes the GSME does not hold are left as they are.  Returns how many attributes
    were copied (0 when either device has no ZCL model).
    """
    mirror = getattr(gpf, "mirror", None)
    source = getattr(gsme, "zcl", None)
    if mirror is None or source is None:
        return 0
    mirror.restart(now)
    for key in source.values:
        status, type_id, value = source.read(*key, now)
        if status == 0 and type_id is not None:
            mirror.values[key] = (type_id, value)
    mirror.rates.update(source.rates)
    return len(source.values)
