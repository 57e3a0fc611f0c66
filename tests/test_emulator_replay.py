"""Replay of the whole RTDS corpus against emulated devices, checked by emulator.conformance.

One test, so the corpus runs once.  The conformance numbers are printed; the assertions keep
them from regressing below what the emulator reaches today.
"""

from __future__ import annotations

import json
from pathlib import Path

from emulator.conformance import verify_output
from emulator.replay import replay

# what the emulator reaches on the visible corpus; raise these when it does better
MIN_CONFORMING_RESPONSES = 366  # strict: array lengths and decrypted plaintexts compared too
MIN_CONFORMING_STATE_TOLERANT = 386  # arrays / profile buffers of another length allowed (device state)
MIN_MATCHED_ALERTS = 60


def test_replay_rtds_corpus(corpus: Path, tmp_path: Path) -> None:
    rtds, keys, premises = corpus / "rtds", corpus / "rtds-keystore", corpus / "rtds-premises.toml"
    seen: list[int] = []
    summary = replay(rtds, keys, premises, tmp_path, progress=lambda done, total, name: seen.append(done))
    assert summary["commands"] > 0 and seen[-1] == summary["commands"]
    assert summary["errors"] == []
    assert summary["refused"] == 0, [o for o in summary["outcomes"] if o.get("refused")][:3]
    assert json.loads((tmp_path / "summary.json").read_text())["commands"] == summary["commands"]
    assert sorted(p.name for p in (tmp_path / "keys").iterdir())[:2] == ["00db1234567890a0-ds.pem",
                                                                          "00db1234567890a0-ka.pem"]
    report = verify_output(tmp_path, keys, rtds)
    assert report["files"] == summary["responses"] + summary["alerts"]
    assert report["failed"] == {}
    conformance = report["conformance"]
    print(f"\nRTDS replay: {summary['commands']} commands, {summary['responses']} responses, "
          f"{summary['alerts']} alerts, all {report['verified']} verify; conformance "
          f"{conformance['conforming']}/{conformance['responses']} responses "
          f"({conformance['rate']:.1%}; {conformance['conforming_state_tolerant']} allowing state-dependent "
          f"array lengths), alerts matched {conformance['matched_alerts']}/"
          f"{conformance['reference_alerts']}; first differences {conformance['first_difference']}")
    assert conformance["conforming"] >= MIN_CONFORMING_RESPONSES
    assert conformance["conforming_state_tolerant"] >= MIN_CONFORMING_STATE_TOLERANT
    assert conformance["matched_alerts"] >= MIN_MATCHED_ALERTS
