"""The simulated HAN (issue 5): install codes, the CHF device logs and premises on the virtual clock.

* ``install_codes`` length and CRC-16/X-25 checks, AES-MMO and the TC link key
* ``device_log`` the CHF Device Log (CCS01/02/03, join windows) and the Historic Device Log (CRP535)
* ``cs14`` the CHF's 0x8F12 alert from a device log change
* ``link`` the per-link delivery model; ``sleepy`` wake schedules; ``storm`` alert storms
* ``network`` premises (CHF, GPF, HAN devices) and the network of many isolated premises
"""

from .device_log import ChfDeviceLog, DeviceLogChange, DeviceLogError, HistoricDeviceLog, HistoricTiming
from .install_codes import InstallCodeError, aes_mmo_hash, crc16_x25, link_key, link_key_for_code, validate
from .link import LinkModel
from .network import HanNetwork, HanNode, Premises, TraceEvent, Upstream
from .sleepy import WakeSchedule
from .storm import AlertStorm

__all__ = [
    "AlertStorm", "ChfDeviceLog", "DeviceLogChange", "DeviceLogError", "HanNetwork", "HanNode", "HistoricDeviceLog",
    "HistoricTiming", "InstallCodeError", "LinkModel", "Premises", "TraceEvent", "Upstream", "WakeSchedule",
    "aes_mmo_hash", "crc16_x25", "link_key", "link_key_for_code", "validate",
]
