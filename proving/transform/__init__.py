"""The DCC-side transform of DUIS Service Request bodies into GBCS command payloads.

One function per GBCS use case turns the request body (an lxml element of the DUIS 5.4
namespace) into the use case's payload: a DLMS access-request, a GBZ command or an ASN.1
command.  Functions register themselves with :func:`registry.transform_for`; the DCC front
end picks the use case from the SRV catalogue and the target device type, then frames,
signs and MACs the payload (proving.dcc).  Importing this package loads every family.
"""

from __future__ import annotations

from .registry import (
    TransformContext,
    Transformed,
    TransformError,
    registered_use_cases,
    transform,
    transform_for,
)

__all__ = ["TransformContext", "TransformError", "Transformed", "registered_use_cases", "transform",
           "transform_for"]
