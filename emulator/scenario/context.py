"""What a scenario's steps have declared so far, while it is read: premises, devices, EUIs, profiles."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ..profiles import KINDS, Profile, ProfileError, generic_profile, load_profile
from .model import DeviceDecl
from .source import ScenarioError
from .values import Args

EUI_BASE = bytes.fromhex("00DB123456780000")  # EUIs not given are assigned from here


class Context:
    """What the steps so far have declared: premises, devices (with their EUIs) and the scenario directory."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.premises: list[str] = []
        self.devices: dict[str, DeviceDecl] = {}
        self._next_eui = 1

    def euis(self) -> dict[str, bytes]:
        return {name: decl.eui for name, decl in self.devices.items()}

    def new_eui(self) -> bytes:
        while True:
            eui = EUI_BASE[:6] + self._next_eui.to_bytes(2, "big")
            self._next_eui += 1
            if all(d.eui != eui for d in self.devices.values()):
                return eui

    def device(self, args: Args, key: str = "device", *, hub: bool | None = None) -> DeviceDecl:
        """A device named in ``key``, which an earlier step must have declared."""
        name = args.text(key)
        decl = self.devices.get(name)
        if decl is None:
            known = ", ".join(self.devices) or "none yet"
            raise ScenarioError(args.line_of(key), f"no device named {name!r} (declared so far: {known})")
        if hub is False and decl.hub:
            raise ScenarioError(args.line_of(key), f"{name!r} is a premises' {decl.kind}, not a HAN device")
        return decl

    def matching(self, args: Args, key: str = "device") -> list[DeviceDecl]:
        """The HAN devices a name or a pattern (``esme*``) names, in the order they were declared."""
        pattern = args.text(key)
        if not any(c in pattern for c in "*?["):
            return [self.device(args, key, hub=False)]
        found = [d for d in self.devices.values() if not d.hub and fnmatch.fnmatchcase(d.name, pattern)]
        if not found:
            raise ScenarioError(args.line_of(key), f"no HAN device matches {pattern!r}")
        return found

    def premises_name(self, args: Args, key: str = "premises") -> str:
        if not args.has(key):
            if not self.premises:
                raise ScenarioError(args.line, "declare premises first (a 'premises' step)")
            return self.premises[-1]
        name = args.text(key)
        if name not in self.premises:
            raise ScenarioError(args.line_of(key), f"no premises named {name!r}")
        return name

    def profile(self, args: Args, key: str, default_kind: str | None = None) -> Profile:
        if not args.has(key) and default_kind is not None:
            return generic_profile(default_kind)
        value = args.text(key)
        try:
            if value.upper() in KINDS:
                return generic_profile(value.upper())
            if value.endswith(".toml"):
                return load_profile(self.base_dir / value)
            return load_profile(value)
        except (ProfileError, OSError) as exc:
            raise ScenarioError(args.line_of(key), f"profile {value!r}: {exc}") from None

    def declare(self, args: Args, key: str, decl: DeviceDecl) -> None:
        if decl.name in self.devices:
            raise ScenarioError(args.line_of(key), f"a device named {decl.name!r} already exists")
        if any(d.eui == decl.eui for d in self.devices.values()):
            raise ScenarioError(args.line_of(key), f"EUI {decl.eui.hex().upper()} is already used")
        self.devices[decl.name] = decl
