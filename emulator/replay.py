"""``smetsim replay``: run every command of a corpus against freshly commissioned emulated devices.

For each ``*_COMMAND_GBCS.HEX`` below the corpus directory:

* a new device with the command's recipient EUI, of the type the premises file gives
  (``[devices]`` EUI = kind) and with the generic firmware profile of that kind, or the one
  ``[profiles]`` names for the EUI (a name in firmware_profiles/ or a path to a profile file;
  its kind must be the device's), e.g. ``"00DB1234567890A0" = "esme-twin"`` for a twin-element
  ESME, whose registers then have the secondary element's values too; trusting the
  remote parties of the key store (one per role: ``[anchors]`` role = EUI, else the lowest
  EUI of that role), joined on the HAN to the other premises devices;
* the command's MAC is re-applied for the device's own KA key: by the ACB (its private key
  is in the key store) for remote-party commands, by the emulated originator for commands
  from a premises device (PCS); commands without a MAC header are passed as they are;
* each electricity meter (ESME, SAPC) has been commissioned ``[history] commissioned_days_ago`` days
  (default 400) before the clock's start, so its profiles, logs and registers hold that history
  (emulator/history.py); a GSME / GPF keeps its profile's history;
* a device without a ``[profiles]`` entry is the model an RTDS variant name asks for
  (:data:`VARIANT_PROFILES`): a twin-element ESME (``esme-twin``) for ``TWIN`` variants, a
  GSME nothing has been published to yet (``gsme-unconfigured``, and ``gpf-unconfigured`` for
  its GPF) for ``NOT_FOUND`` ones;
* an RTDS negative variant (a command file whose name carries the ``ERROR`` token) is
  executed with the default hardware fault of :mod:`emulator.faults` armed: RTDS marks
  the variants in which the device fails that way, and their commands are as valid as the
  success variants', so the failure can only be the device's;
* the device executes it; virtual time then runs until nothing is pending, so future-dated
  instructions execute and alert.

Outputs: ``OUT/<folder>/<stem>_RESPONSE_GBCS.HEX``, ``OUT/<folder>/<stem>_ALERT_<k>_GBCS.HEX``,
``OUT/keys/<eui>-ds.pem`` and ``-ka.pem`` (the emulated devices' certificates; ``-ka.key`` too for
premises devices that originate commands, so device-to-device MACs can be verified) and
``OUT/summary.json``.  Each device's keys come from a fresh test PKI (smetsim.keys.pki).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto import KeystoreView, mac_for
from gbcs.errors import DecodeError
from gbcs.framing import build_mac_header_message, parse_frame
from smetsim.keys import Keystore
from smetsim.keys.pki import init_pki

from .clock import VirtualClock
from .device import Device
from .faults import HardwareFault
from .history import set_age
from .identity import DeviceKeys
from .kinds import create_device
from .profiles import KINDS, Profile, ProfileError, generic_profile, load_profile
from .trust import TrustAnchors

COMMAND_SUFFIX = "_COMMAND_GBCS.HEX"
# The virtual clock of every replayed device starts here: the device clock RTDS responses carry.
DEFAULT_START = "2015-01-01T00:00:00Z"
# Days each replayed meter has been commissioned before the clock's start (premises
# ``[history] commissioned_days_ago`` overrides): a meter in service for over a year, as a lab
# expects one, so its half-hour profile data log (13 months) is full and its daily read and billing
# data logs and its registers hold more than a year of its consumption model.
DEFAULT_HISTORY_DAYS = 400
# The kinds given that age.  A GSME / GPF keeps its profile's history ([zcl_history] days): its
# snapshots are daily and the snapshot cause filter is not applied yet, so a year of them would
# answer cause-filtered reads (GCS15b) with snapshots a real GSME would not have taken.
METER_KINDS = ("ESME", "SAPC")
# RTDS variant names that say which device model a command is for: (kind, name token) -> profile
VARIANT_PROFILES = {("ESME", "TWIN"): "esme-twin", ("GSME", "NOT_FOUND"): "gsme-unconfigured",
                    ("GPF", "NOT_FOUND"): "gpf-unconfigured"}
Progress = Callable[[int, int, str], None]


class ReplayError(ValueError):
    """Inputs that make a replay impossible (no premises file, a bad device type ...)."""


@dataclasses.dataclass
class Premises:
    """The devices of the premises file and how the emulation is set up."""

    devices: dict[bytes, str]
    profiles: dict[bytes, str]
    anchors: dict[int, bytes]
    start: str = DEFAULT_START
    seed: int = 0
    history_days: int = DEFAULT_HISTORY_DAYS


def load_premises(path: str | Path) -> Premises:
    """Read a premises TOML file (see the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReplayError(f"{path}: {exc}") from None

    def eui(text: str, table: str) -> bytes:
        try:
            value = bytes.fromhex(text)
        except ValueError:
            value = b""
        if len(value) != 8:
            raise ReplayError(f"{path}: [{table}] {text!r} is not an EUI-64 (16 hex digits)")
        return value

    def table(name: str) -> dict[str, Any]:
        value = data.get(name) or {}
        if not isinstance(value, dict):
            raise ReplayError(f"{path}: {name} must be a table ([{name}]), not {type(value).__name__}")
        return value

    devices = {}
    for key, kind in table("devices").items():
        if kind not in KINDS:
            raise ReplayError(f"{path}: [devices] {key}: {kind!r} is not one of {', '.join(KINDS)}")
        devices[eui(key, "devices")] = kind
    profiles = {eui(k, "profiles"): str(v) for k, v in table("profiles").items()}
    for key in profiles:
        if key not in devices:
            raise ReplayError(f"{path}: [profiles] {key.hex().upper()} is not in [devices]")
    anchors = {}
    for role, value in table("anchors").items():
        if not str(role).isdigit():
            raise ReplayError(f"{path}: [anchors] {role!r} is not a role code")
        anchors[int(role)] = eui(str(value), "anchors")
    if not devices:
        raise ReplayError(f"{path}: [devices] names no device (\"<EUI>\" = \"ESME\", ...)")
    clock, history = table("clock"), table("history")
    days = history.get("commissioned_days_ago", DEFAULT_HISTORY_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ReplayError(f"{path}: [history] commissioned_days_ago: expected a whole number of days >= 0")
    seed = clock.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ReplayError(f"{path}: [clock] seed: expected a whole number")
    start = str(clock.get("start", DEFAULT_START))
    try:
        VirtualClock(start)
    except (TypeError, ValueError):
        raise ReplayError(f"{path}: [clock] start: {start!r} is not a date-time such as {DEFAULT_START}") from None
    return Premises(devices, profiles, anchors, start, seed, days)


class _Emulation:
    """Premises devices' keys, profiles and the remote-party key store, shared by every command."""

    def __init__(self, keys_dir: Path, premises: Premises, pki_dir: Path) -> None:
        self.store = Keystore.load(keys_dir)
        self.premises = premises
        self.anchors = TrustAnchors.from_keystore(self.store, premises.anchors)
        self.acb = self.anchors.acb
        pki = init_pki(pki_dir, parties=(), overwrite=True)
        self.keys = {eui: DeviceKeys.issue(pki, eui) for eui in premises.devices}
        self.profiles = {}
        for eui, kind in premises.devices.items():
            name = premises.profiles.get(eui)
            try:
                self.profiles[eui] = load_profile(name) if name else generic_profile(kind)
            except ProfileError as exc:
                raise ReplayError(str(exc)) from None
            if self.profiles[eui].kind != kind:
                raise ReplayError(f"[profiles] {eui.hex().upper()}: {name!r} is a {self.profiles[eui].kind} "
                                  f"profile, the device is a {kind}")
        self._view = self.store.view()
        self.han_originators: set[bytes] = set()  # premises devices that originated a command (PCS)

    def profile_for(self, eui: bytes, stem: str) -> Profile:
        """The device's profile, or the variant model an RTDS variant name asks for (:data:`VARIANT_PROFILES`)."""
        profile = self.profiles[eui]
        if eui in self.premises.profiles:
            return profile
        name = f"_{stem.upper()}_"
        for (kind, token), variant in VARIANT_PROFILES.items():
            if profile.kind == kind and f"_{token}_" in name:
                return load_profile(variant)
        return profile

    def device(self, eui: bytes, stem: str = "") -> tuple[Device, VirtualClock]:
        """A freshly commissioned device with the premises' keys, anchors and HAN peers."""
        clock = VirtualClock(self.premises.start, seed=self.premises.seed)
        device = create_device(self.profile_for(eui, stem), eui, clock, self.anchors, self.keys[eui])
        if self.premises.devices[eui] in METER_KINDS:  # electricity meters: commissioned before the start
            set_age(device, self.premises.history_days)
        for peer, kind in self.premises.devices.items():
            if peer != eui:
                keys = self.keys[peer]
                device.join(peer, kind, keys.ka.public_key(), keys.ds.public_key())
        return device, clock

    def remac(self, raw: bytes) -> bytes:
        """The command with its MAC recomputed for the recipient's emulated KA key."""
        frame = parse_frame(raw)
        if not frame.mac_header:
            return raw
        recipient_keys = self.keys[frame.recipient]
        originator_keys = self.keys.get(frame.originator)
        view = self._view.with_ka_public(frame.recipient, recipient_keys.ka.public_key())
        if originator_keys is not None:  # a premises device sends it (PCS): device-to-device MAC
            self.han_originators.add(frame.originator)
            view = _with_private(view, frame.originator, originator_keys.ka)
            view = view.with_ka_public(frame.originator, originator_keys.ka.public_key())
            view = dataclasses.replace(view, is_device=lambda e, o=frame.originator: e == o)
        elif self.acb is None:
            raise ReplayError("the key store has no access control broker to MAC commands")
        mac = mac_for(frame.apdu, frame.cra, frame.counter, frame.originator, frame.recipient, view,
                      self.acb or b"")
        return build_mac_header_message(frame.apdu, mac, frame.security_control or 0x11,
                                        frame.invocation_counter or 0)


def _with_private(view: KeystoreView, eui: bytes, key: ec.EllipticCurvePrivateKey) -> KeystoreView:
    base = view.ka_private

    def lookup(wanted: bytes) -> ec.EllipticCurvePrivateKey | None:
        return key if wanted == eui else base(wanted)

    return dataclasses.replace(view, ka_private=lookup)


def _write_hex(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data.hex().upper())
    return path.name


def replay(
    corpus_dir: str | Path,
    keys_dir: str | Path,
    premises_path: str | Path,
    out_dir: str | Path,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Replay every command of ``corpus_dir``; returns the summary also written to OUT/summary.json.

    ``progress(done, total, command name)`` is called after each command.
    """
    corpus = Path(corpus_dir)
    out = Path(out_dir)
    commands = sorted(p for p in corpus.rglob(f"*{COMMAND_SUFFIX}") if p.is_file())
    premises = load_premises(premises_path)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smetsim-pki-") as pki_dir:
        emulation = _Emulation(Path(keys_dir), premises, Path(pki_dir))
    outcomes: list[dict[str, Any]] = []
    errors: list[str] = []
    for done, path in enumerate(commands, 1):
        outcome = _replay_one(emulation, corpus, path, out)
        outcomes.append(outcome)
        if outcome.get("error"):
            errors.append(f"{outcome['command']}: {outcome['error']}")
        if progress is not None:
            progress(done, len(commands), path.name)
    keys_out = out / "keys"
    keys_out.mkdir(exist_ok=True)
    for eui, keys in emulation.keys.items():
        for usage in ("ds", "ka"):
            pem = keys.certificate_pem(usage)
            if pem is not None:
                (keys_out / f"{eui.hex()}-{usage}.pem").write_bytes(pem)
        if eui in emulation.han_originators:  # lets a verifier check the device-to-device MACs of responses
            (keys_out / f"{eui.hex()}-ka.key").write_bytes(keys.ka.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    summary = {
        "corpus": str(corpus),
        "start": premises.start,
        "commissioned_days_ago": premises.history_days,
        "commands": len(commands),
        "responses": sum(1 for o in outcomes if o.get("response")),
        "alerts": sum(len(o.get("alerts", ())) for o in outcomes),
        "refused": sum(1 for o in outcomes if o.get("refused")),
        "not_supported": sum(1 for o in outcomes if o.get("not_supported")),
        "no_response": sum(1 for o in outcomes if not o.get("response") and not o.get("error")),
        "errors": errors,
        "outcomes": outcomes,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def is_negative_variant(stem: str) -> bool:
    """True for an RTDS negative variant: a command file whose name carries the ``ERROR`` token.

    RTDS names the variants in which the device fails ``…_ERROR_…``; their commands are
    valid (often identical to the success variant's apart from the counter), so the failure
    is the device's: replay arms the default hardware fault of :mod:`emulator.faults`.
    """
    return "ERROR" in stem.upper().split("_")


def _replay_one(emulation: _Emulation, corpus: Path, path: Path, out: Path) -> dict[str, Any]:
    relative = path.relative_to(corpus)
    stem = path.name[: -len(COMMAND_SUFFIX)]
    # <folder> is the command's folder, also when CORPUS_DIR is that folder itself.
    folder = out / (relative.parent if relative.parent != Path(".") else path.parent.name)
    outcome: dict[str, Any] = {"command": str(relative)}
    try:
        raw = bytes.fromhex(path.read_text().strip())
        frame = parse_frame(raw)
    except (ValueError, DecodeError) as exc:
        outcome["error"] = f"unreadable command: {exc}"
        return outcome
    outcome["recipient"] = frame.recipient.hex().upper()
    outcome["message_code"] = f"0x{frame.message_code:04X}"
    kind = emulation.premises.devices.get(frame.recipient)
    if kind is None:
        outcome["error"] = f"recipient {outcome['recipient']} is not in the premises file's [devices]"
        return outcome
    outcome["kind"] = kind
    device, clock = emulation.device(frame.recipient, stem)
    outcome["profile"] = device.profile.name
    try:
        command = emulation.remac(raw)
    except Exception as exc:  # reported per command
        outcome["error"] = f"cannot re-MAC: {exc}"
        return outcome
    if is_negative_variant(stem):
        device.arm_fault(HardwareFault())
        outcome["fault"] = "hardware fault (RTDS negative variant)"
    result = device.handle(command)
    clock.run_until_idle()
    alerts = [*result.alerts, *device.outbox]
    if result.response is not None:
        outcome["response"] = _write_hex(folder / f"{stem}_RESPONSE_GBCS.HEX", result.response)
    outcome["alerts"] = [_write_hex(folder / f"{stem}_ALERT_{k}_GBCS.HEX", alert) for k, alert in enumerate(alerts, 1)]
    refused = device.security_log.entries()
    if refused:
        outcome["refused"] = refused[-1].detail
    unsupported = [e.detail for e in device.event_log.entries() if "not supported" in e.detail]
    if unsupported:
        outcome["not_supported"] = unsupported[-1]
    if clock.errors:
        outcome["error"] = "; ".join(f"{type(e).__name__}: {e}" for _, e in clock.errors)
    return outcome
