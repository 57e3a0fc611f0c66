"""The web UI's state: the embedded DCC it shows, who is logged in, and what the UI itself keeps."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from proving.anomaly import ThresholdProfile
from proving.embedded import EmbeddedDcc
from proving.inventory import STATUSES
from proving.registration import Fuel, RegistrationData

from .access import Access
from .auth import KeyRing, Session, Sessions
from .worker import DccWorker

# The DCC's Smart Metering Inventory statuses (DUIS 5.4 sr:DeviceStatus, in the XSD's order).
SMI_STATUSES = STATUSES
NOT_IN_SMI = "Not in SMI"


class RegistrationStore:
    """Dummy PP Registration Data the RDP uploaded or generated; saved as JSON when given a path."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.records: list[RegistrationData] = []
        if path is not None and path.is_file():
            for item in json.loads(path.read_text(encoding="utf-8")):
                self.records.append(RegistrationData(**{**item, "fuel": Fuel(item["fuel"])}))

    def add(self, records: list[RegistrationData]) -> int:
        """Store records (replacing any with the same MPxN); returns how many were new."""
        known = {r.mpxn: i for i, r in enumerate(self.records)}
        new = 0
        for record in records:
            if record.mpxn in known:
                self.records[known[record.mpxn]] = record
            else:
                known[record.mpxn] = len(self.records)
                self.records.append(record)
                new += 1
        if self.path is not None:
            self.path.write_text(json.dumps([{**asdict(r), "fuel": str(r.fuel)} for r in self.records], indent=1),
                                 encoding="utf-8")
        return new


@dataclass
class WebUi:
    """Everything the pages need (one per application)."""

    dcc: EmbeddedDcc
    keyring: KeyRing
    worker: DccWorker
    access: Access
    registration: RegistrationStore
    reports_dir: Path | None = None
    smi: dict[str, str] = field(default_factory=dict)  # device EUI -> SMI status override (a lab fixture)
    proposed: dict[str, ThresholdProfile] = field(default_factory=dict)  # G6 profiles awaiting approval
    sessions: Sessions = field(default_factory=Sessions)
    client: Any = None  # proving.client.PpClient, made on first use (on the DCC thread)

    def smi_status(self, eui: str) -> str:
        """The device's SMI status: an override, else the DCC's inventory (call on the DCC thread)."""
        if eui in self.smi:
            return self.smi[eui]
        inventory = self.dcc.frontend.inventory
        if inventory is None:
            return "Commissioned"
        return inventory.status(bytes.fromhex(eui.replace("-", ""))) or NOT_IN_SMI


UI_KEY = web.AppKey("smetsim_webui", WebUi)
SESSION_KEY: Any = web.RequestKey("smetsim_session", Session) if hasattr(web, "RequestKey") else "smetsim_session"


def ui_of(request: web.Request) -> WebUi:
    return request.config_dict[UI_KEY]


def session_of(request: web.Request) -> Session:
    return request[SESSION_KEY]
