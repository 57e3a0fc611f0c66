"""ESME reads (ECS17a-e, ECS18a/b, ECS19, ECS20a-d, ECS21a-c, ECS22a-c, ECS23/23b, ECS24/24b, ECS25r1/r2, ECS26a-n).

The request bodies carry no data apart from a log period, so most transforms are a fixed list
of COSEM attributes (GBCS use-case definitions); registers and logs whose values the ESME
protects are read with "get protected attributes" on the use case's Data Protection object,
the others as plain gets or a profile read by range (seconds since 2000 on the clock).
"""

from __future__ import annotations

import base64
from dataclasses import replace

from lxml import etree

from .dlms_helpers import dlms, get, log_period, protected_read, range_read, srp_other_information, text
from .registry import TransformContext, Transformed, TransformError, transform_for

# use case -> [(class id, OBIS, attribute)] read with plain gets, in GBCS order
PLAIN_READS: dict[str, list[tuple[int, str, int]]] = {
    "ECS17a": [(3, "1-0:2.8.0.255", 2), (3, "1-0:2.8.0.255", 3), (3, "1-0:4.8.0.255", 2), (3, "1-0:4.8.0.255", 3)],
    "ECS17c": [(1, "0-0:94.44.34.20", 2)],
    "ECS18a": [(1, "0-0:94.44.5.2", 2), (4, "1-0:2.6.0.255", 2), (4, "1-0:2.6.0.255", 3), (4, "1-0:2.6.0.255", 5)],
    "ECS18b": [(1, "0-0:94.44.5.0", 2), (1, "0-0:94.44.5.1", 2), (4, "1-0:1.6.0.255", 2), (4, "1-0:1.6.0.255", 3),
               (4, "1-0:1.6.0.255", 5), (4, "1-0:1.6.1.255", 2), (4, "1-0:1.6.1.255", 3), (4, "1-0:1.6.1.255", 5),
               (10, "0-0:12.0.0.255", 2)],
    "ECS24": [(3, "0-0:94.44.1.7", 2), (3, "0-0:94.44.1.7", 3), (20, "0-0:13.0.0.255", 3), (20, "0-0:13.0.0.255", 4),
              (20, "0-0:13.0.0.255", 5), (11, "0-0:11.0.0.255", 2),
              *((21, f"0-0:16.0.{n}.255", 2) for n in range(11, 19)),
              (9000, "0-0:94.44.2.0", 2), (113, "0-0:19.20.4.255", 5), (113, "0-0:19.20.0.255", 5)],
    "ECS24b": [(113, "0-0:19.20.5.255", 5), (3, "0-0:94.44.1.8", 2), (3, "0-0:94.44.1.8", 3), (11, "0-0:11.0.1.255", 2),
               (20, "0-0:13.0.1.255", 3), (20, "0-0:13.0.1.255", 4), (20, "0-0:13.0.1.255", 5)],
    "ECS25r1": [(1, f"0-30:97.98.{n}.255", 2) for n in (15, 16, 17, 18)],
    "ECS25r2": [(1, "0-33:97.98.15.255", 2), (1, "0-33:97.98.18.255", 2)],
    "ECS26a": [(113, "0-0:19.20.1.255", 5), (11, "0-0:11.0.2.255", 2), (113, "0-0:19.20.1.255", 8),
               (113, "0-0:19.20.1.255", 5), (113, "0-0:19.20.2.255", 5), (113, "0-0:19.20.2.255", 8),
               (113, "0-0:19.20.2.255", 5), (113, "0-0:19.20.3.255", 13), (9000, "0-0:94.44.2.10", 2),
               (21, "0-0:16.0.1.255", 2), (9000, "0-0:94.44.2.20", 2), (111, "0-0:19.0.0.255", 16),
               (111, "0-0:19.0.0.255", 18), (111, "0-0:19.0.0.255", 19), (112, "0-0:19.10.1.255", 9),
               (112, "0-0:19.10.1.255", 10), (10, "0-0:12.0.1.255", 2), (111, "0-0:19.0.0.255", 11)],
    "ECS26b": [*((71, f"0-0:17.0.{n}.255", a) for n in (1, 2, 3, 4) for a in (4, 6)),
               (1, "1-0:32.35.0.4", 2), (1, "1-0:32.31.0.4", 2)],
    "ECS26i": [(1, "0-0:96.1.1.255", 2), (1, "0-0:96.1.4.255", 2), (1, "0-0:96.1.6.255", 2)],  # CHF identity
    "ECS26k": [*((71, f"0-0:17.0.{n}.255", a) for n in (1, 2, 3, 4) for a in (4, 6)),
               (1, "1-0:32.35.0.4", 2), (1, "1-0:32.31.0.4", 2), (1, "1-0:52.31.0.4", 2), (1, "1-0:52.35.0.4", 2),
               (1, "1-0:72.31.0.4", 2), (1, "1-0:72.35.0.4", 2)],
    "ECS26n": [(1, "0-0:96.1.4.255", 2), (1, "0-0:96.1.6.255", 2)],  # CHF identity, second form
    "ECS26c": [(1, "0-0:94.44.0.0", 2), (1, "0-0:94.44.0.2", 2), (1, "0-0:94.44.0.1", 2)],
    "ECS26d": [(22, "0-0:15.0.0.255", 4)],
    "ECS26e": [(1, "0-0:96.1.1.255", 2), (1, "0-0:96.1.2.255", 2), (1, "0-0:96.1.4.255", 2), (1, "0-0:96.1.6.255", 2),
               (1, "0-0:94.44.0.4", 2)],
    "ECS26f": [(21, "0-0:16.0.0.255", 2)],
    "ECS26j": [(111, "0-0:19.0.0.255", 2)],
    "ECS26l": [(22, "0-0:15.0.0.255", 4)],
    "ECS26m": [(1, "0-0:96.1.2.255", 2), (1, "0-0:96.1.4.255", 2), (1, "0-0:96.1.6.255", 2), (1, "0-0:94.44.0.4", 2)],
}

CHF_READS = frozenset({"ECS26i", "ECS26n"})  # CHF operations go out under the ACB, the User as SRP

# use case -> (Data Protection OBIS, protected registers)
PROTECTED_READS: dict[str, tuple[str, list[tuple[int, str, int]]]] = {
    "ECS17b": ("0-0:43.2.8.255", [(1, "0-0:94.44.34.10", 2)]),
    "ECS17d": ("0-0:43.2.9.255", [(1, "0-0:94.44.34.1", 2)]),
    "ECS17e": ("0-0:43.2.10.255", [(1, "0-0:94.44.34.2", 2)]),
    "ECS19": ("0-0:43.2.1.255", [(1, "0-0:94.44.34.30", 2)]),
}

# use case -> (Data Protection OBIS, protected logs) read over the request's log period
PROTECTED_LOGS: dict[str, tuple[str, list[tuple[int, str, int]]]] = {
    "ECS20b": ("0-0:43.2.3.255", [(7, "0-0:98.1.2.255", 2)]),
    "ECS20c": ("0-0:43.2.2.255", [(7, "0-0:98.1.0.255", 2), (7, "0-0:98.1.1.255", 2)]),
    "ECS21a": ("0-0:43.2.5.255", [(7, "0-0:98.1.9.255", 2)]),
    "ECS21b": ("0-0:43.2.6.255", [(7, "0-0:98.1.8.255", 2)]),
    "ECS22b": ("0-0:43.2.7.255", [(7, "0-0:99.1.0.255", 2)]),
}

# use case -> profile generic read by range over the request's log period
RANGE_READS: dict[str, str] = {
    "ECS20a": "0-0:98.1.4.255",
    "ECS20d": "0-0:98.1.5.255",
    "ECS21c": "0-0:98.1.10.255",
    "ECS22a": "0-0:99.1.1.255",
    "ECS22c": "0-0:99.1.2.255",
}


@transform_for(*(uc for uc in PLAIN_READS if uc not in CHF_READS))
def plain_read(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Gets of the use case's attributes (the body has no data)."""
    return dlms(ctx, [get(*target) for target in PLAIN_READS[ctx.use_case]])


@transform_for(*PROTECTED_READS)
def protected_register_read(body: etree._Element, ctx: TransformContext) -> Transformed:
    """A protected read of the use case's registers."""
    protection, targets = PROTECTED_READS[ctx.use_case]
    return dlms(ctx, [protected_read(ctx, protection, targets)])


@transform_for(*PROTECTED_LOGS)
def protected_log_read(body: etree._Element, ctx: TransformContext) -> Transformed:
    """A protected read of the use case's logs over the ReadLogPeriod (or the schedule's offsets)."""
    protection, targets = PROTECTED_LOGS[ctx.use_case]
    out = dlms(ctx, [protected_read(ctx, protection, targets, log_period(body, ctx))])
    certificate = text(body, "KAPublicSecurityCredentials", ctx.use_case, optional=True)
    if certificate is None:
        return out
    return replace(out, other_information=urp_other_information(ctx, certificate))


def urp_other_information(ctx: TransformContext, certificate: str) -> bytes:
    """Other-information of an Unknown Remote Party read (4.14 URP), sent by the DCC's ACB.

    The User is the Supplementary Remote Party; its KA certificate (the body's
    KAPublicSecurityCredentials, base64 DER) is where the ESME encrypts the log to.
    """
    try:
        der = base64.b64decode("".join(certificate.split()), validate=True)
    except ValueError:
        raise TransformError(ctx.use_case, "KAPublicSecurityCredentials: not base64") from None
    if der[:1] != b"\x30":
        raise TransformError(ctx.use_case, "KAPublicSecurityCredentials: not a DER certificate")
    return srp_other_information(ctx, der)


@transform_for(*CHF_READS)
def chf_identity_read(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Gets of the Comms Hub identity: CHF operations always go out under the ACB, the User as SRP."""
    return dlms(replace(ctx, extra={**ctx.extra, "via_acb": True}), [get(*t) for t in PLAIN_READS[ctx.use_case]])


@transform_for(*RANGE_READS)
def log_range_read(body: etree._Element, ctx: TransformContext) -> Transformed:
    """A profile read by range over the ReadLogPeriod."""
    return dlms(ctx, [range_read(ctx, RANGE_READS[ctx.use_case], log_period(body, ctx))])


PHASES = {"ECS23": (32,), "ECS23b": (32, 52, 72)}  # voltage of phase 1 (single phase) or phases 1-3


@transform_for(*PHASES)
def network_data(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Per phase: the RMS voltage average registers, the voltage profile over the ReadLogPeriod and its period."""
    period = log_period(body, ctx)
    instructions = []
    for phase in PHASES[ctx.use_case]:
        instructions += [get(3, f"1-0:{phase}.32.0.4", 2), get(3, f"1-0:{phase}.32.0.4", 3),
                         get(3, f"1-0:{phase}.36.0.4", 2), get(3, f"1-0:{phase}.36.0.4", 3),
                         range_read(ctx, f"1-0:{phase}.24.0.255", period), get(7, f"1-0:{phase}.24.0.255", 4)]
    return dlms(ctx, instructions)
