"""`smetsim conformance`: check a replay's output and compare it with the reference corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


@click.command(short_help="Verify a replay's output and compare it with the reference.")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False), metavar="OUT_DIR")
@click.option("--keys", "keys_dir", required=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="The key store the replay used (remote parties; the devices' certificates come from OUT_DIR/keys).")
@click.option("--reference", "reference_dir", type=click.Path(exists=True, file_okay=False), metavar="CORPUS_DIR",
              help="The corpus that was replayed: compare each response's structure with its reference.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (summary and per-response results).")
@click.option("--strict", is_flag=True, help="Exit 1 also when a response's structure differs from the reference.")
@click.option("--show", default=20, show_default=True, metavar="N",
              help="Responses with differences to list (0: none).")
def conformance(out_dir: str, keys_dir: str, reference_dir: str | None, as_json: bool, strict: bool,
                show: int) -> None:
    """Verify every response and alert a replay wrote, and compare responses with the reference.

    \b
    Each *_GBCS.HEX below OUT_DIR must parse and verify: signatures and MACs against the
    emulated devices' certificates (OUT_DIR/keys) and the key store's remote parties,
    encrypted parts decrypted.  With --reference, each reference response is compared with
    the emulated one: outer form, CRA, message code, payload type tree, array lengths, result
    codes and enumerations (values that depend on device state may differ); reference
    alerts are matched by message code, alert code and structure.

    \b
      smetsim replay ../shared/corpus/rtds --keys K --premises P --out ./replay
      smetsim conformance ./replay --keys K --reference ../shared/corpus/rtds

    Exit status: 0 when every file verifies (and, with --strict, every response conforms),
    1 otherwise, 2 for bad arguments.
    """
    from emulator.conformance import Keystore, verify_output

    out = Path(out_dir)
    if not any(True for _ in Keystore.load(keys_dir).euis()):
        raise click.UsageError(f"{keys_dir} holds no certificates (<eui>-ds.pem / <eui>-ka.pem): not a key store")
    if not any(out.rglob("*_GBCS.HEX")):
        raise click.UsageError(f"no *_GBCS.HEX files below {out_dir}: run smetsim replay first")
    try:
        report = verify_output(out, keys_dir, reference_dir)
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    result = _summary(report)
    if as_json:
        detail = (report.get("conformance") or {}).get("by_response", {})
        click.echo(json.dumps({**result, "failed": report["failed"], "responses_detail": detail}, indent=1))
    else:
        _print_human(report, result, show)
    failed = bool(report["failed"]) or (strict and result.get("conforming", 0) < result.get("responses", 0))
    sys.exit(1 if failed else 0)


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"files": report["files"], "verified": report["verified"]}
    conformance = report.get("conformance")
    if conformance:
        out.update({key: conformance[key] for key in ("responses", "conforming", "conforming_state_tolerant",
                                                      "reference_alerts", "matched_alerts", "first_difference")})
    return out


def _print_human(report: dict[str, Any], result: dict[str, Any], show: int) -> None:
    click.echo(f"verified {result['verified']}/{result['files']} responses and alerts")
    for name, problem in sorted(report["failed"].items()):
        click.echo(f"  does not verify: {name}: {problem}")
    conformance = report.get("conformance")
    if not conformance:
        return
    responses = conformance["responses"]
    click.echo(f"structure matches the reference: {conformance['conforming']}/{responses} responses "
               f"({conformance['conforming'] / responses:.1%}); {conformance['conforming_state_tolerant']} "
               f"allowing arrays of another length (device state)" if responses else "no reference responses")
    click.echo(f"reference alerts matched: {conformance['matched_alerts']}/{conformance['reference_alerts']}")
    differing = [(name, entry) for name, entry in sorted(conformance["by_response"].items()) if not entry["ok"]]
    for name, entry in differing[:show]:
        first = entry["differences"][0] if entry["differences"] else ""
        more = len(entry["differences"]) - 1
        click.echo(f"  {name}: {first}" + (f" (+{more} more)" if more > 0 else ""))
    if len(differing) > show > 0:
        click.echo(f"  ... {len(differing) - show} more (--show N, or --json for all)")
