"""Device models as data: one TOML file per model in firmware_profiles/, loaded into :class:`Profile`.

A profile names the device kind, manufacturer and model, the firmware (version and image
hash), the GBCS version (default "3.2"), which use cases the model supports, its initial
state (COSEM attribute values in the A-XDR tree form of docs/tree-format.md) and behaviour
knobs: response delay and jitter, clock offset and drift, and the alerts it raises.
``extends = "<other profile>"`` starts from another profile of the same directory (else a
shipped one of ``firmware_profiles/``).  A table or key the profile format does not know is
an error naming it.
Every error names the file and the key.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from gbcs.dlms.axdr import encode_data
from gbcs.errors import EncodeError

from .catalogue import use_case

KINDS = ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS", "SAPC")
PROFILE_DIR = Path(__file__).resolve().parents[1] / "firmware_profiles"
AUX_CONTROLLER_KINDS = ("ALCS", "HCALCS", "APC-output", "APC-input")
# The alerts a device raises when a command fails its checks (requirements §9 items 8-9); each may be
# switched off with 0.  0x8F60's name covers out-of-order (replayed) commands.  [I]
DEFAULT_SECURITY_ALERTS = {
    "authentication": 0x8F3D,  # Trusted Source Authentication Failure (bad MAC or signature)
    "authority": 0x8F30,  # Source Does not have Authority for Command (role not allowed)
    "replay": 0x8F60,  # Unusual numbers of malformed, out-of-order or unexpected Commands received
    "malformed": 0x8F1E,  # Integrity check of content or format of command failed
}


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Profile:
    """One device model."""

    name: str
    path: Path | None
    kind: str
    manufacturer: str
    manufacturer_id: int
    model: str
    model_id: int
    variant: str = "A"
    gbcs_version: str = "3.2"
    smets_version: str = "SMETS2"
    firmware_version: str = "1.0.0"
    image_hash: bytes = bytes(32)
    supported: tuple[str, ...] = ("*",)
    unsupported: tuple[str, ...] = ()
    response_delay: float = 0.0
    response_jitter: float = 0.0
    clock_offset: float = 0.0
    clock_drift_ppm: float = 0.0
    alerts_enabled: frozenset[int] | None = None  # None: every alert
    alerts_disabled: frozenset[int] = frozenset()
    security_alerts: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SECURITY_ALERTS))
    unsupported_alert: bool = True  # raise ECS100 (0x0120, 0x8F85) for an unsupported command
    auto_objects: bool = True  # instantiate COSEM objects of known classes on first access
    auxiliary_controllers: tuple[str, ...] = ()
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def dlms_kind(self) -> str:
        """The kind a SAPC is treated as (ESME, requirements §7); the kind itself otherwise."""
        return "ESME" if self.kind == "SAPC" else self.kind

    def supports(self, code: int) -> bool:
        """True when this model implements the command of message code ``code``."""
        row = use_case(code)
        if row is None or not (self.kind in row.kinds or self.dlms_kind in row.kinds):
            return False
        uc = row.use_case
        if any(fnmatch.fnmatchcase(uc, pattern) for pattern in self.unsupported):
            return False
        return any(fnmatch.fnmatchcase(uc, pattern) for pattern in self.supported)

    def alert_enabled(self, alert_code: int) -> bool:
        """True when the model raises ``alert_code`` (the [alerts] enabled / disabled lists)."""
        if alert_code in self.alerts_disabled:
            return False
        return self.alerts_enabled is None or alert_code in self.alerts_enabled


# ---------------------------------------------------------------------------- loading


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@cache
def profile_file(path: Path) -> dict[str, Any]:
    """A profile file's tables, with the file it ``extends`` merged in; read once per process."""
    return _read(path)


def profile_table(path: Path | None, name: str, kind: type = dict) -> Any:
    """Table ``[name]`` (or array of tables ``[[name]]`` with ``kind=list``) of a profile file.

    Empty when there is no file or no such table; a ProfileError naming the file otherwise.
    The value is shared: callers read it and never change it.
    """
    if path is None:
        return kind()
    value = profile_file(path).get(name, kind())
    if not isinstance(value, kind):
        shape = "a table" if kind is dict else "an array of tables"
        raise ProfileError(f"{path}: [{name}] must be {shape}")
    return value


def _read(path: Path, seen: tuple[Path, ...] = (), stamps: list[tuple[Path, int, int]] | None = None) -> dict[str, Any]:
    if path in seen:
        raise ProfileError(f"{path}: extends itself (via {' -> '.join(p.name for p in seen)})")
    try:
        if stamps is not None:
            stamps.append(_stamp(path))
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ProfileError(f"{path}: extends: expected a profile name")
    base = path.parent / f"{parent}.toml"
    if not base.exists() and (PROFILE_DIR / f"{parent}.toml").exists():
        base = PROFILE_DIR / f"{parent}.toml"  # a lab's profile kept elsewhere extends a shipped one
    return _merge(_read(base, (*seen, path), stamps), data)


def _stamp(path: Path) -> tuple[Path, int, int]:
    """What tells a changed file: (path, modification time, size)."""
    status = path.stat()
    return path, status.st_mtime_ns, status.st_size


class _Reader:
    """Typed access to one table of a profile, with errors naming file and key."""

    def __init__(self, path: Path, section: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: [{section}] must be a table")
        self.path, self.section, self.table = path, section, table

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.path}: [{self.section}] {key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if key not in self.table:
            if required:
                raise self.fail(key, "missing")
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def code(self, key: str, default: int | None = None) -> int | None:
        """An integer given as a number or a hex string ("0x8F3D")."""
        value = self.table.get(key, default)
        return _as_code(value, lambda problem: self.fail(key, problem))

    def codes(self, key: str) -> frozenset[int] | None:
        value = self.table.get(key)
        if value is None:
            return None
        if value == "all":
            return None
        if not isinstance(value, list):
            raise self.fail(key, 'expected a list of alert codes or "all"')
        return frozenset(_as_code(v, lambda problem: self.fail(key, problem)) for v in value)  # type: ignore[misc]


def _as_code(value: Any, fail: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise fail(f"expected a code, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            pass
    raise fail(f"expected an integer or a hex string such as \"0x8F3D\", got {value!r}")


def _state(path: Path, table: Any) -> dict[str, dict[str, Any]]:
    """Initial COSEM values: ``"class/A-B:C.D.E.F/attribute" = {type = ..., value = ...}``."""
    reader = _Reader(path, "state", table if table is not None else {})
    out: dict[str, dict[str, Any]] = {}
    for key, node in reader.table.items():
        parts = key.split("/")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
            raise reader.fail(key, 'expected "class/A-B:C.D.E.F/attribute"')
        if not isinstance(node, dict):
            raise reader.fail(key, "expected an A-XDR value such as {type = \"octet-string\", value = \"01\"}")
        try:
            encode_data(node, key)
        except EncodeError as exc:
            raise reader.fail(key, f"not an A-XDR value ({exc})") from None
        out[key] = node
    return out


# The tables a profile may have and, for tables with fixed keys, those keys (None: free-form keys)
KNOWN_KEYS: dict[str, frozenset[str] | None] = {
    "device": frozenset({"kind", "manufacturer", "manufacturer_id", "model", "model_id", "variant",
                         "gbcs_version", "smets_version", "auto_objects", "auxiliary_controllers"}),
    "firmware": frozenset({"version", "image_hash"}),
    "use_cases": frozenset({"supported", "unsupported"}),
    "behaviour": frozenset({"response_delay", "response_jitter", "clock_offset", "clock_drift_ppm"}),
    "alerts": frozenset({"enabled", "disabled", "unsupported", *DEFAULT_SECURITY_ALERTS}),
    "history": frozenset({"commissioned_days_ago", "import_kw", "export_kw", "shape", "billing_logs",
                          "billing_day"}),
    "zcl_history": frozenset({"days", "samples", "event_configuration"}),
    "gpf": frozenset({"gsme_profile"}),
    "state": None, "zcl": None, "zcl_rates": None, "zcl_publish": None,
}


def check_keys(data: dict[str, Any], path: Path) -> None:
    """A misspelt table or key is an error naming it (it would otherwise be ignored)."""
    for table, value in data.items():
        if table not in KNOWN_KEYS:
            raise ProfileError(f"{path}: [{table}] is not a profile table (known: {', '.join(sorted(KNOWN_KEYS))})")
        keys = KNOWN_KEYS[table]
        if keys is not None and isinstance(value, dict):
            unknown = sorted(set(value) - keys)
            if unknown:
                raise ProfileError(f"{path}: [{table}] {unknown[0]}: unknown key (known: {', '.join(sorted(keys))})")


def parse_profile(data: dict[str, Any], path: Path) -> Profile:
    """Check and convert the tables of one profile file."""
    check_keys(data, path)
    device = _Reader(path, "device", data.get("device"))
    kind = device.get("kind", str, required=True)
    if kind not in KINDS:
        raise device.fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    firmware = _Reader(path, "firmware", data.get("firmware", {}))
    use_cases = _Reader(path, "use_cases", data.get("use_cases", {}))
    behaviour = _Reader(path, "behaviour", data.get("behaviour", {}))
    alerts = _Reader(path, "alerts", data.get("alerts", {}))
    image_hash_text = firmware.get("image_hash", str, "00" * 32)
    try:
        image_hash = bytes.fromhex(image_hash_text)
    except ValueError:
        raise firmware.fail("image_hash", "expected hex") from None
    if len(image_hash) != 32:
        raise firmware.fail("image_hash", f"expected 32 bytes (SHA-256), got {len(image_hash)}")
    security = dict(DEFAULT_SECURITY_ALERTS)
    for name in DEFAULT_SECURITY_ALERTS:
        code = alerts.code(name)
        if code is not None:
            security[name] = code
    aux = tuple(device.get("auxiliary_controllers", list, []))
    for item in aux:
        if item not in AUX_CONTROLLER_KINDS:
            raise device.fail("auxiliary_controllers", f"{item!r} is not one of {', '.join(AUX_CONTROLLER_KINDS)}")
    if len(aux) > 5:
        raise device.fail("auxiliary_controllers", "an ESME has at most 5 auxiliary controllers")
    for reader, key in ((use_cases, "supported"), (use_cases, "unsupported")):
        value = reader.get(key, list, [])
        if not all(isinstance(v, str) for v in value):
            raise reader.fail(key, "expected a list of use-case ids or patterns such as \"ECS*\"")
    return Profile(
        name=path.stem,
        path=path,
        kind=kind,
        manufacturer=device.get("manufacturer", str, "smetsim"),
        manufacturer_id=device.code("manufacturer_id", 0) or 0,
        model=device.get("model", str, f"generic {kind}"),
        model_id=device.code("model_id", 0) or 0,
        variant=device.get("variant", str, "A"),
        gbcs_version=device.get("gbcs_version", str, "3.2"),
        smets_version=device.get("smets_version", str, "SMETS2"),
        firmware_version=firmware.get("version", str, "1.0.0"),
        image_hash=image_hash,
        supported=tuple(use_cases.get("supported", list, ["*"])),
        unsupported=tuple(use_cases.get("unsupported", list, [])),
        response_delay=float(behaviour.get("response_delay", (int, float), 0.0)),
        response_jitter=float(behaviour.get("response_jitter", (int, float), 0.0)),
        clock_offset=float(behaviour.get("clock_offset", (int, float), 0.0)),
        clock_drift_ppm=float(behaviour.get("clock_drift_ppm", (int, float), 0.0)),
        alerts_enabled=alerts.codes("enabled"),
        alerts_disabled=alerts.codes("disabled") or frozenset(),
        security_alerts=security,
        unsupported_alert=bool(alerts.get("unsupported", bool, True)),
        auto_objects=bool(device.get("auto_objects", bool, True)),
        auxiliary_controllers=aux,
        state=_state(path, data.get("state")),
    )


_loaded: dict[Path, tuple[tuple[tuple[Path, int, int], ...], Profile]] = {}


def load_profile(name_or_path: str | Path, directory: Path = PROFILE_DIR) -> Profile:
    """A profile by file path, or by name (the file stem) in ``directory``.

    Parsed once while its files (and those it extends) are unchanged: the same :class:`Profile`
    comes back, so its state is shared (devices never change a profile).
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = directory / f"{name_or_path}.toml"
    path = path.resolve()
    cached = _loaded.get(path)
    if cached is not None:
        try:
            if all(_stamp(stamp[0]) == stamp for stamp in cached[0]):
                return cached[1]
        except OSError:
            pass
    stamps: list[tuple[Path, int, int]] = []
    profile = parse_profile(_read(path, stamps=stamps), path)
    _loaded[path] = (tuple(stamps), profile)
    return profile


def load_profiles(directory: Path = PROFILE_DIR) -> dict[str, Profile]:
    """Every profile of ``directory``, by name."""
    return {p.stem: load_profile(p) for p in sorted(Path(directory).glob("*.toml"))}


@cache
def generic_profile(kind: str) -> Profile:
    """The generic profile of a device kind (firmware_profiles/generic-<kind>.toml), loaded once."""
    if kind not in KINDS:
        raise ProfileError(f"no device kind {kind!r} (one of {', '.join(KINDS)})")
    return load_profile(f"generic-{kind.lower()}")
