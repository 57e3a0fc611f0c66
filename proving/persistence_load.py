"""Load for the persistence (kill -9) tests and benches: journaled commands, one acknowledgement line each.

    python -m proving.persistence_load STATE N [--dcc XSD_DIR]

Premises mode (default): N credit adjustments of +1 (ECS... 0x001C, signed by the PP import
supplier) to the ESME of :class:`~proving.persistent_premises.PersistentPremises` in STATE.
After each one has been journaled and answered it prints ``ACK <journal seq> <counter>``.

DCC mode (``--dcc``): N DUIS requests from the PP import supplier through
:func:`~proving.persistent_premises.persistent_dcc`, alternately SRV 4.1.1 (read instantaneous
import registers) to the ESME and SRV 6.31 (read CHF Sub GHz channel, which the DCC sends as
the ACB, on the ACB's counter) to the CHF; after each submission returns (device journaled,
audit committed) it prints ``ACK <request counter> <outcome> <target EUI hex>``.

Counters continue above the journal's (and the audit trail's), so the script can run again
on the same STATE.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from lxml import etree

from emulator.cosem_classes import node
from emulator.testkit import access_request
from gbcs.crypto import KeystoreView, secure_message

from . import duis
from .duis.namespaces import sr
from .embedded import EmbeddedDcc
from .eui import eui_str
from .identities import ACB, user
from .persistent_premises import PersistentPremises, persistent_dcc
from .premises import DEFAULT_DEVICES

ESME = bytes.fromhex(DEFAULT_DEVICES[0][0])
CHF = bytes.fromhex(DEFAULT_DEVICES[2][0])
SUPPLIER = user("IS")
CREDIT = bytes((0, 0, 19, 10, 0, 255))  # the credit object the adjustment acts on (class 112)
ADJUST_CREDIT = 0x001C
FIRST_COUNTER = 5000


def credit_command(view: KeystoreView, counter: int, amount: int = 1, recipient: bytes = ESME) -> bytes:
    """A signed credit adjustment of ``amount`` from the PP import supplier, MAC'd by the ACB."""
    content = access_request(counter, [("action", 112, CREDIT, 1, node("double-long", amount))])
    return secure_message(cra=1, counter=counter, originator=SUPPLIER.eui, recipient=recipient,
                          other_information=ADJUST_CREDIT.to_bytes(2, "big"), content=content, keystore_view=view,
                          acb_eui=ACB, signature_form="present", mac_header=True)


def read_request(dcc: EmbeddedDcc, counter: int, target: bytes = ESME) -> bytes:
    """A signed DUIS read request from the PP import supplier: SRV 4.1.1 to an ESME, 6.31 to the CHF."""
    request_id = duis.RequestId(eui_str(SUPPLIER.eui), eui_str(target), counter)
    srv, body = ("6.31", "ReadCHFSubGHzChannel") if target == CHF else ("4.1.1", "ReadInstantaneousImportRegisters")
    document = duis.build_request(request_id, srv, 1, etree.Element(sr(body)))
    key, cert = dcc.xml_signer(SUPPLIER)
    return duis.to_bytes(duis.sign(document, key, cert))


def prepare_dcc(dcc: EmbeddedDcc) -> None:
    """What a start sets up besides the persisted state: G6 approvals and passed entry tests."""
    dcc.approve_default_thresholds()
    for role in ("IS", "GS", "ED", "GT"):
        dcc.entry_tests.record(role, f"run-{role}", passed=True, completed_at="2026-11-21T00:00:00Z")


def _next_counter(premises: PersistentPremises) -> int:
    return max(premises.originator_counters.get(SUPPLIER.eui, FIRST_COUNTER - 1) + 1, FIRST_COUNTER)


def _next_request_counter(dcc: EmbeddedDcc) -> int:
    """Above every request counter of the supplier in the audit trail."""
    prefix = eui_str(SUPPLIER.eui) + ":"
    counters = [int(r.request_id.rsplit(":", 1)[1]) for r in dcc.audit.records()
                if r.kind == "request" and r.request_id and r.request_id.startswith(prefix)]
    return max(counters, default=FIRST_COUNTER - 1) + 1


def run_premises(state: str, count: int, emit: Callable[[str], None]) -> None:
    with PersistentPremises(state, start=None) as premises:
        view = premises.keystore.view()
        counter = _next_counter(premises)
        for _ in range(count):
            delivery = premises.deliver(credit_command(view, counter))
            if delivery.response is None:
                raise SystemExit(f"counter {counter}: no response")
            emit(f"ACK {premises.last_seq} {counter}")
            counter += 1


def run_dcc(state: str, count: int, xsd_dir: str, emit: Callable[[str], None]) -> None:
    dcc = persistent_dcc(state, xsd_dir, start=None)
    try:
        prepare_dcc(dcc)
        assert isinstance(dcc.premises, PersistentPremises)
        counter = max(_next_counter(dcc.premises), _next_request_counter(dcc))
        for i in range(count):
            target = CHF if i % 2 else ESME
            exchange = dcc.frontend.submit(read_request(dcc, counter, target), service="S")
            emit(f"ACK {counter} {exchange.outcome} {target.hex()}")
            counter += 1
    finally:
        dcc.audit.close()
        dcc.premises.close()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proving.persistence_load", description=__doc__.split("\n")[0])
    parser.add_argument("state", help="the state directory (created the first time)")
    parser.add_argument("count", type=int, help="how many commands to send")
    parser.add_argument("--dcc", metavar="XSD_DIR", help="go through the DCC front end (DUIS XSD directory)")
    args = parser.parse_args(argv)

    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    emit(f"START {datetime.now(UTC).isoformat()}")
    if args.dcc:
        run_dcc(args.state, args.count, args.dcc, emit)
    else:
        run_premises(args.state, args.count, emit)
    emit("DONE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
