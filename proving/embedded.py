"""Everything in one process: emulated premises, the DCC front end, and the PP Function's identities.

:func:`embedded_dcc` builds the default set-up of ``smetsim prove`` and ``smetsim serve``:

* a test PKI (PP Users per role, the DCC's parties, the devices) in ``state_dir``;
* :class:`~proving.premises.EmulatedPremises` trusting the PP Users of their fuel;
* a :class:`~proving.frontend.DccFrontEnd` that knows the PP Users (and any extra Users),
  signs its responses with the ACB's xmlSign key, enforces Section P for PP originators and
  runs G6 anomaly detection on them;
* the DCC's Smart Metering Inventory (:mod:`proving.inventory`), seeded with the premises'
  devices as Commissioned, held by the front end (``frontend.inventory``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from smetsim.keys import Keystore

from . import duis
from .alert_storm import Alert, AlertStormPolicy, StormConfig
from .anomaly import AnomalyDetector, Threshold, ThresholdProfile
from .audit import AuditTrail
from .catalogue import UserRole
from .entry_tests import EntryTestRegister
from .eui import eui_str
from .frontend import DccFrontEnd, Users
from .gateway import DccGateway
from .identities import ACB, PP_USERS, PpUser
from .inventory import SmartMeteringInventory
from .inventory import seed as seed_inventory
from .parties import ProvingParties, ProvingParty
from .pp_ids import DEFAULT_PP_RANGE
from .premises import EmulatedPremises
from .registration import Fuel
from .section_p import SectionP

# generous default G6 thresholds for a proving run: per PP User, any SRV
AUDIT_FILE = "audit.sqlite"
DEFAULT_THRESHOLDS = ThresholdProfile((Threshold("*", 3600.0, 100_000),))
PP_SIGNIFIERS = {"IS": "9101", "GS": "9102", "ED": "9103", "GT": "9104", "ES": "9105", "OU": "9106"}
RDP_SIGNIFIERS = {Fuel.ELECTRICITY: "9201", Fuel.GAS: "9202"}


@dataclass
class EmbeddedDcc:
    """The assembled in-process system."""

    state_dir: Path
    premises: EmulatedPremises
    frontend: DccFrontEnd
    keystore: Keystore
    entry_tests: EntryTestRegister
    anomaly: AnomalyDetector
    audit: AuditTrail
    storm: AlertStormPolicy
    closers: list[Callable[[], object]] = field(default_factory=list)  # e.g. a hardware bridge to stop

    def xml_signer(self, user: PpUser) -> tuple[ec.EllipticCurvePrivateKey, object]:
        """A PP User's xmlSign key and certificate."""
        stem = self.state_dir / f"{user.eui.hex()}-xml-ds"
        return duis.load_private_key(stem.with_suffix(".key")), duis.load_certificate(stem.with_suffix(".pem"))

    def close(self) -> None:
        """Close the audit trail and, when they keep files open, the premises."""
        for close_extra in reversed(self.closers):
            close_extra()
        self.audit.close()
        closer = getattr(self.premises, "close", None)
        if closer is not None:
            closer()

    def approve_default_thresholds(self) -> None:
        """Set and approve the default G6 profile for every PP User (as the DCC does before PP starts)."""
        for user in PP_USERS:
            self.anomaly.set_profile(eui_str(user.eui), DEFAULT_THRESHOLDS)
            self.frontend.approve_thresholds(eui_str(user.eui))


def storm_adapter(policy: AlertStormPolicy) -> Callable[[bytes, int, datetime], duis.DeviceAlert | None]:
    """The front end's throttle hook over an alert-storm policy: None when the alert is suppressed."""

    def offer(device: bytes, code: int, when: datetime) -> duis.DeviceAlert | None:
        decision = policy.offer(Alert(eui_str(device), code), now=when.timestamp())
        if not decision.delivered:
            return None
        return duis.DeviceAlert(f"{code:04X}", b"", decision.throttled_alert_sequence_id,
                                decision.throttled_alert_count)

    return offer


def certificate_der(keystore: Keystore) -> Callable[[bytes, str], bytes | None]:
    """SMKI look-up over the key store: the DER of an EUI's certificate of one usage."""

    def lookup(eui: bytes, usage: str) -> bytes | None:
        certificate = keystore.certificate(eui, usage)
        return certificate.public_bytes(serialization.Encoding.DER) if certificate is not None else None

    return lookup


def embedded_dcc(state_dir: str | Path, xsd_dir: str | Path, *, start: datetime | None = None,
                 seed: int = 0, storm: StormConfig | None = None, production: bool = True,
                 premises: Any = None, synchronous: str = "NORMAL", audit_name: str = AUDIT_FILE) -> EmbeddedDcc:
    """Build the embedded system in ``state_dir`` (a fresh PKI each time).

    ``production=False`` builds the DCC's test environment, where PP Users run their entry
    tests: no Section P gate and no G6 hold there.  ``premises`` is another delivery target
    (a hardware bridge, hil/) with ``keystore``, ``clock`` and ``devices``; then ``state_dir``
    must already hold the PKI with the devices' keys, and it is not replaced; when it knows the
    originator counters it has seen (``originator_counters``), the DCC's start above them.
    ``synchronous`` is the audit trail's SQLite durability (FULL survives power loss).  A
    target may offer its own key view (``view()``), SMKI look-up (``certificate_der``) and the
    device IDs Section P must keep clear of (``device_ids``: IDs or ranges).
    """
    state = Path(state_dir)
    if premises is None:
        premises = EmulatedPremises(state, start=start, seed=seed)
    keystore = premises.keystore
    view = premises.view() if hasattr(premises, "view") else keystore.view()  # devices' certificates too
    gateway = DccGateway(view, ACB)
    for originator, counter in getattr(premises, "originator_counters", {}).items():
        gateway.counters.observe(originator, counter)
    certs = duis.CertStore.from_directory(state, "*-xml-ds.pem")
    users = Users({u.eui: u.role for u in PP_USERS}, certs)
    parties = ProvingParties(DEFAULT_PP_RANGE,
                             [ProvingParty(UserRole(u.role), eui_str(u.eui), PP_SIGNIFIERS[u.role]) for u in PP_USERS],
                             RDP_SIGNIFIERS)
    entry_tests = EntryTestRegister()
    device_ids = getattr(premises, "device_ids", None)
    section_p = SectionP(parties, entry_tests, dcc_ids=[eui_str(ACB)],
                         device_ids=device_ids if device_ids is not None else list(premises.devices))
    clock = premises.clock
    anomaly = AnomalyDetector(clock.now)
    signer_stem = state / f"{ACB.hex()}-xml-ds"
    signer = (duis.load_private_key(signer_stem.with_suffix(".key")),
              duis.load_certificate(signer_stem.with_suffix(".pem")))
    audit = AuditTrail(state / audit_name, clock=clock.now, synchronous=synchronous)
    policy = AlertStormPolicy(storm or StormConfig(), clock=clock.now)
    inventory = seed_inventory(SmartMeteringInventory(clock.now), premises)  # installed and commissioned
    frontend = DccFrontEnd(schema=duis.load_schema(xsd_dir), users=users, signer=signer, gateway=gateway,
                           target=premises, section_p=section_p if production else None,
                           anomaly=anomaly if production else None, throttle=storm_adapter(policy),
                           audit=audit.append_many, now=lambda: datetime.fromtimestamp(clock.now(), UTC),
                           certificates=getattr(premises, "certificate_der", None) or certificate_der(keystore),
                           inventory=inventory)
    return EmbeddedDcc(state, premises, frontend, keystore, entry_tests, anomaly, audit, policy)
