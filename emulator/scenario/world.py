"""The running scenario: the virtual clock, the HAN, the remote parties and the devices by name.

It also keeps the *window* of expectations: what reached the head end or a HAN device's
inbox (and what the HAN trace recorded) since the previous expect step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..chf import Chf
from ..clock import VirtualClock
from ..device import Device
from ..han.network import HanNetwork, HanNode, Premises, TraceEvent
from ..testkit import RemoteParties
from .model import DeviceDecl, Scenario

FIRST_COUNTER = 1000


class StepFailed(Exception):
    """A step whose outcome is not the one the scenario expects; the message says why."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A message that arrived: at the head end (``to`` None) or in a HAN device's inbox."""

    time: float
    source: bytes
    kind: str  # response | alert
    message: bytes
    to: bytes | None = None


class World:
    """Everything a scenario's steps act on."""

    def __init__(self, scenario: Scenario, parties: RemoteParties | None = None) -> None:
        self.scenario = scenario
        self.clock = VirtualClock(scenario.start, seed=scenario.seed)
        self.network = HanNetwork(self.clock, seed=scenario.seed)
        self.parties = parties or RemoteParties()
        self.premises: dict[str, Premises] = {}
        self.devices: dict[str, Device] = {}
        self._counter = FIRST_COUNTER
        self._upstream_marks: dict[str, int] = {}
        self._trace_marks: dict[str, int] = {}
        self._inbox_marks: dict[bytes, int] = {}

    # ------------------------------------------------------------------ lookups

    def device(self, decl: DeviceDecl) -> Device:
        try:
            return self.devices[decl.name]
        except KeyError:
            raise StepFailed(f"{decl.name} was not created (its step failed)") from None

    def premises_of(self, decl: DeviceDecl) -> Premises:
        return self.premises_named(decl.premises)

    def premises_named(self, name: str) -> Premises:
        try:
            return self.premises[name]
        except KeyError:
            raise StepFailed(f"premises {name} were not created (their step failed)") from None

    def node(self, decl: DeviceDecl) -> HanNode:
        return self.premises_of(decl).node(decl.eui)

    def chf(self, premises: Premises) -> Chf:
        if not isinstance(premises.chf, Chf):
            raise StepFailed(f"the CHF of {premises.name} is not an emulated CHF")
        return premises.chf

    def name_of(self, eui: bytes) -> str:
        for name, device in self.devices.items():
            if device.eui == eui:
                return name
        return eui.hex().upper()

    def next_counter(self) -> int:
        self._counter += 1
        return self._counter

    # ------------------------------------------------------------------ the window of expectations

    def arrivals(self, since_start: bool = False) -> list[Arrival]:
        """Responses and alerts that arrived since the previous expect step (or the start)."""
        out: list[Arrival] = []
        for name, premises in self.premises.items():
            start = 0 if since_start else self._upstream_marks.get(name, 0)
            out.extend(Arrival(u.time, u.source, u.kind, u.message) for u in premises.upstream[start:])
            for eui, node in premises.nodes.items():
                first = 0 if since_start else self._inbox_marks.get(eui, 0)
                for when, src, raw in node.inbox[first:]:
                    out.append(Arrival(when, src, "response", raw, eui))
        return sorted(out, key=lambda a: a.time)

    def trace(self, premises: str, since_start: bool = False) -> list[TraceEvent]:
        events = self.premises_named(premises).trace
        return events if since_start else events[self._trace_marks.get(premises, 0):]

    def mark(self) -> None:
        """Close the window: the next expect step looks at what arrives from now on."""
        for name, premises in self.premises.items():
            self._upstream_marks[name] = len(premises.upstream)
            self._trace_marks[name] = len(premises.trace)
            for eui, node in premises.nodes.items():
                self._inbox_marks[eui] = len(node.inbox)
