"""smetsim emulator package: emulated GBCS devices on a virtual clock.

Layout (one job per module):

* ``clock`` virtual time and scheduling; ``profiles`` device models (firmware_profiles/*.toml);
  ``catalogue`` what each message code needs (criticality, roles, timing: data/use_cases.toml)
* ``identity`` a device's DS/KA keys and certificates; ``trust`` its trust-anchor cells;
  ``security`` the GBCS checks of commands and the protection of responses and alerts
* ``device`` the Device base (``handle(raw) -> DeviceOutput``); ``registry`` message code ->
  use-case handler; ``usecases/<family>.py`` the handlers; ``alerts`` alert payloads;
  ``future`` future-dated instructions; ``logs`` event and security logs
* ``cosem_classes`` / ``cosem_model`` / ``cosem_methods`` / ``dlms_server`` /
  ``protected_data`` the COSEM object model and the DLMS server; ``cosem_device``,
  ``esme``, ``chf``, ``zigbee`` the device kinds; ``kinds.create_device`` makes one
* ``replay`` runs a corpus of commands against fresh devices; ``conformance`` checks the
  output; ``testkit`` a small head end (remote parties that build commands) for tests

Adding a use case: write ``usecases/<family>.py`` with a function decorated
``@handles(kinds=(...), codes=(...))`` returning a :class:`emulator.device.Reply`, and
import the module in ``usecases/__init__.py``.
"""
