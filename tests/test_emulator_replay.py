"""Replay of the whole RTDS corpus against emulated devices, checked by emulator.conformance.

One test replays the whole corpus, so it runs once.  The conformance numbers are printed;
the assertions keep them from regressing below what the emulator reaches today.  Bad
inputs to `smetsim replay` are named errors, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.conformance import verify_output
from emulator.replay import replay
from smetsim.cli import main

# what the emulator reaches on the visible corpus; raise these when it does better
MIN_CONFORMING_RESPONSES = 368  # strict: array lengths and decrypted plaintexts compared too
MIN_CONFORMING_STATE_TOLERANT = 388  # arrays / profile buffers of another length allowed (device state)
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


BAD_PREMISES = [
    ("devices = 3\n", "devices must be a table"),
    ("[devices]\n", "names no device"),
    ('[devices]\n"00DB1234567890A1" = "GSME"\n[clock]\nstart = "yesterday"\n', "[clock] start"),
    ('[devices]\n"00DB1234567890A1" = "GSME"\n[clock]\nseed = "x"\n', "[clock] seed"),
    ('[devices]\n"00DB1234567890A1" = "XYZ"\n', "is not one of"),
    ("not toml [\n", "Expected"),
]


@pytest.mark.parametrize(("text", "message"), BAD_PREMISES)
def test_bad_premises_files_are_named_errors(corpus: Path, tmp_path: Path, text: str, message: str) -> None:
    premises = tmp_path / "premises.toml"
    premises.write_text(text)
    result = CliRunner().invoke(main, ["replay", str(corpus / "rtds" / "4.1.1_ECS17b"), "--keys",
                                       str(corpus / "rtds-keystore"), "--premises", str(premises),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_commands_that_cannot_be_replayed_are_listed_and_the_rest_replayed(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "corpus" / "x"
    folder.mkdir(parents=True)
    (folder / "A_SUCCESS_COMMAND_GBCS.HEX").write_text("ZZZZ\n")
    for source in sorted((corpus / "rtds" / "4.1.1_ECS17b").glob("*_COMMAND_GBCS.HEX")):
        (folder / source.name).write_text(source.read_text())
    premises = tmp_path / "premises.toml"
    premises.write_text('[devices]\n"00DB1234567890A0" = "ESME"\n')
    result = CliRunner().invoke(main, ["replay", str(tmp_path / "corpus"), "--keys",
                                                       str(corpus / "rtds-keystore"), "--premises", str(premises),
                                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "errors=1" in result.stdout and "not replayed: x/A_SUCCESS_COMMAND_GBCS.HEX" in result.stderr
    replayed = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert replayed["responses"] == replayed["commands"] - 1 >= 1


@pytest.mark.parametrize(("pattern", "token", "profile"), [
    ("4.1.1_GCS13a/*_SUCCESS_RELIABLE_GPF*", "NOT_FOUND", {"00DB1234567890A3": "gpf-unconfigured"}),
    ("4.3_GCS14/*_SUCCESS*", "NOT_FOUND", {"00DB1234567890A1": "gsme-unconfigured"}),
    ("4.1.1_ECS17b/*_SINGLE_SUCCESS*", "TWIN", {"00DB1234567890A0": "esme-twin"}),
    ("4.1.1_ECS17b/*_SINGLE_SUCCESS*", "SUCCESS", {"00DB1234567890A0": "generic-esme"}),
])
def test_variant_names_choose_the_device_model(corpus: Path, tmp_path: Path, pattern: str, token: str,
                                               profile: dict[str, str]) -> None:
    """An RTDS variant token picks the model of the recipient's kind; summary.json names it."""
    folder = tmp_path / "corpus" / pattern.split("/")[0]
    folder.mkdir(parents=True)
    for source in sorted((corpus / "rtds").glob(f"{pattern}_COMMAND_GBCS.HEX")):
        stem = source.name.removesuffix("_COMMAND_GBCS.HEX").replace("_SINGLE", "").replace("_SUCCESS", f"_{token}", 1)
        (folder / f"{stem}_COMMAND_GBCS.HEX").write_text(source.read_text())
    summary = replay(tmp_path / "corpus", corpus / "rtds-keystore", corpus / "rtds-premises.toml", tmp_path / "out")
    assert summary["errors"] == [] and summary["responses"] == summary["commands"] > 0
    assert {o["recipient"]: o["profile"] for o in summary["outcomes"]} == profile
