"""The ``smetsim`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gbcs.crypto import KeystoreView
from gbcs.errors import DecodeError, EncodeError
from gbcs.framing import parse_frame
from gbcs.message import blank_result, decode_message, encode_message

from . import __version__, conformance_cli, hil_cli, mqtt_cli, prove_cli, scenario_cli, serve_cli
from .inputs import iter_inputs
from .keys import KeystoreError, load_keystore
from .keys.keystore import USAGES
from .security import KeyProblem, choose_acb, secure_tree, verify_into

KEYS_OPTION = click.option(
    "--keys", "keys_dir", type=click.Path(exists=True, file_okay=False), metavar="DIR",
    help="Key store (<eui>[-pp]-<ds|ka>.<pem|key> files): verify, decrypt, sign and MAC.",
)
ACB_OPTION = click.option(
    "--acb", metavar="EUI",
    help="EUI-64 of the Access Control Broker that MACs remote-party commands "
    "(default: the key store's only ACB certificate).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smetsim")
def main() -> None:
    """smetsim: GB smart-metering (SMETS2+) device and HAN emulator.

    \b
    Production Proving and the DCC front end:
      smetsim prove --report out/report.json              every SRV, as the PP User in each role
      smetsim prove --suite ../shared/corpus/duis/templates --report out/report.json
      smetsim serve --receive-url http://127.0.0.1:9000/r DUIS web services on :8079
    \b
    Simulated HAN:
      smetsim scenario run examples/scenarios/*.yaml      scripted HAN behaviours and faults
    \b
    Decode and re-encode GBCS messages:
      smetsim parse ../shared/corpus/rtds                 annotated trees
      smetsim parse --json FILE.HEX > msgs.jsonl          JSON Lines, one per message
      smetsim build msgs.jsonl                            back to hex, byte for byte
    \b
    Keys and devices:
      smetsim parse --keys ../shared/corpus/rtds-keystore FILE.HEX   verify and decrypt
      smetsim keys init ./pki                             a test PKI (RTDS file layout)
      smetsim replay ../shared/corpus/rtds --keys ../shared/corpus/rtds-keystore \\
          --premises ../shared/corpus/rtds-premises.toml --out ./replay
      smetsim conformance ./replay --keys ../shared/corpus/rtds-keystore \\
          --reference ../shared/corpus/rtds
    """


def _failed(source: str, offset: int, reason: str) -> dict[str, Any]:
    result = blank_result(source)
    result["error"] = f"offset {offset}: {reason}"
    result["error_offset"] = offset
    return result


def _parse_one(source: str, data: bytes, problem: str | None) -> dict[str, Any]:
    """Decode one input; a defect in a codec is reported for that message, never as a traceback."""
    if problem is not None:
        return _failed(source, 0, f"input: {problem}")
    try:
        return decode_message(data, source)
    except Exception as exc:  # noqa: BLE001 - the run goes on; the message says what to report
        return _failed(source, 0, f"internal error {type(exc).__name__}: {exc} (please report this input)")


def _json_default(value: Any) -> Any:
    """JSON for values the trees should not hold but a codec might: bytes as hex, the rest as text."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    return str(value)


@main.command(short_help="Decode GBCS messages: annotated trees or JSON Lines.")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines (one object per message) instead of trees.")
@KEYS_OPTION
@ACB_OPTION
@click.option("--colour/--no-colour", default=None, help="Colour the tree (default: when writing to a terminal).")
def parse(inputs: tuple[str, ...], as_json: bool, keys_dir: str | None, acb: str | None, colour: bool | None) -> None:
    """Decode GBCS messages.

    INPUT is a file (hex text, base64 text or raw bytes; one message per text line),
    a directory (every *.HEX below it, sorted) or - for standard input.

    Exit status: 0 when every input parsed, 1 when any failed (all are processed).
    """
    from .render import render_result

    if colour is None:
        colour = sys.stdout.isatty()
    view, acb_eui = _keys(keys_dir, acb)
    failures = 0
    for item in iter_inputs(list(inputs)):
        result = _parse_one(item.source, item.data, item.problem)
        frame = parse_frame(item.data) if result["ok"] else None
        if frame is not None and view is not None:
            try:
                verify_into(result, frame, view, acb_eui)
            except Exception as exc:  # noqa: BLE001 - reported for this message; the run goes on
                result["verify_error"] = f"internal error {type(exc).__name__}: {exc} (please report this input)"
        if not result["ok"]:
            failures += 1
        if as_json:
            click.echo(json.dumps(result, separators=(",", ":"), default=_json_default))
        else:
            try:
                click.echo(render_result(result, frame, colour))
            except Exception:  # noqa: BLE001 - an odd tree is still shown, as JSON
                click.echo(json.dumps(result, indent=1, default=_json_default))
    sys.exit(1 if failures else 0)


def _keys(keys_dir: str | None, acb: str | None) -> tuple[KeystoreView | None, bytes | None]:
    """Load the key store once and pick the ACB; exit with a clear message on a problem."""
    if keys_dir is None:
        if acb is not None:
            raise click.UsageError("--acb only makes sense with --keys")
        return None, None
    try:
        store = load_keystore(keys_dir)
        return store.view(), choose_acb(store, acb)
    except (KeystoreError, KeyProblem, OSError) as exc:
        raise click.UsageError(f"key store {keys_dir}: {exc}") from None


@main.command(short_help="Encode parsed messages (JSON Lines) back to hex.")
@click.argument("jsonl", type=click.File("r"), metavar="FILE.jsonl")
@KEYS_OPTION
@ACB_OPTION
def build(jsonl: Any, keys_dir: str | None, acb: str | None) -> None:
    """Encode messages from JSON Lines (as printed by ``parse --json``) to upper-case hex, one per line.

    FILE.jsonl may be - for standard input.  Each object is encoded from its fields, so
    edit a value and build again.  Exit status 1 when any line could not be encoded.

    With --keys the message is secured afresh: decrypted elements are re-encrypted, a
    signature is made as the message's originator when the signature form is "present",
    and the MAC header's MAC is recomputed (the ACB's key pair for remote-party commands).
    """
    view, acb_eui = _keys(keys_dir, acb)
    failures = 0
    for number, line in enumerate(jsonl, 1):
        if not line.strip():
            continue
        try:
            tree = json.loads(line)
            if not isinstance(tree, dict):
                raise EncodeError("(line)", "expected a JSON object")
            if tree.get("ok") is False:
                raise EncodeError("ok", f"the message did not parse ({tree.get('error')}); nothing to build")
            raw = encode_message(tree) if view is None else secure_tree(tree, view, acb_eui)
            click.echo(raw.hex().upper())
        except json.JSONDecodeError as exc:
            failures += 1
            click.echo(f"smetsim build: line {number}: not JSON: {exc.msg} at column {exc.colno}", err=True)
        except (EncodeError, DecodeError, KeyProblem) as exc:
            failures += 1
            click.echo(f"smetsim build: line {number}: {exc}", err=True)
    sys.exit(1 if failures else 0)


@main.command(short_help="Run corpus commands against fresh emulated devices.")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False), metavar="CORPUS_DIR")
@click.option("--keys", "keys_dir", required=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Key store with the remote parties' certificates and the ACB's private keys.")
@click.option("--premises", required=True, type=click.Path(exists=True, dir_okay=False), metavar="PREMISES.toml",
              help="Device type of each recipient EUI ([devices] table).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="OUT_DIR",
              help="Where responses, alerts, device certificates and summary.json are written.")
def replay(corpus_dir: str, keys_dir: str, premises: str, out_dir: str) -> None:
    """Replay every *_COMMAND_GBCS.HEX below CORPUS_DIR against freshly commissioned emulated devices.

    \b
    Each command goes to a new device with the command's recipient EUI (type from
    PREMISES.toml), with its ACB MAC re-applied for that device's own KA key. Written:
      OUT_DIR/<folder>/<stem>_RESPONSE_GBCS.HEX       the device's response
      OUT_DIR/<folder>/<stem>_ALERT_<k>_GBCS.HEX      alerts raised until nothing is pending
      OUT_DIR/keys/<eui>-ds.pem, <eui>-ka.pem         the emulated devices' certificates
      OUT_DIR/summary.json                            counts and per-command outcomes

    A command that cannot be replayed (unreadable, or for an EUI the premises file does
    not name) is listed on stderr and in summary.json; the others are replayed all the same.
    Check the output with `smetsim conformance OUT_DIR --keys DIR --reference CORPUS_DIR`.
    """
    from emulator.replay import replay as run_replay

    files = sorted(Path(corpus_dir).rglob("*_COMMAND_GBCS.HEX"))
    if not files:
        raise click.UsageError(f"no *_COMMAND_GBCS.HEX files below {corpus_dir}")
    with click.progressbar(length=len(files), label="replaying", file=sys.stderr) as bar:
        try:
            summary = run_replay(corpus_dir, keys_dir, premises, out_dir,
                                 progress=lambda done, total, name: bar.update(1))
        except (ValueError, OSError) as exc:
            raise click.UsageError(str(exc)) from None
    counts = {key: value for key, value in summary.items() if isinstance(value, int)}
    counts["errors"] = len(summary["errors"])
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))
    for error in summary["errors"]:  # the other commands were still replayed
        click.echo(f"smetsim replay: not replayed: {error}", err=True)
    click.echo(f"summary: {Path(out_dir) / 'summary.json'}")


def _eui_argument(text: str) -> bytes:
    try:
        eui = bytes.fromhex(text)
    except ValueError:
        eui = b""
    if len(eui) != 8:
        raise click.BadParameter(f"{text!r} is not an EUI-64 (16 hex digits)")
    return eui


@main.group(short_help="Create a test PKI, add devices, list a key store.")
def keys() -> None:
    """Key stores: create a test PKI, add devices, list what a key store holds.

    \b
      smetsim keys init ./pki                   root/issuing CAs, every remote party
      smetsim keys device ./pki 00DB1234567890A0
      smetsim keys list ../shared/corpus/rtds-keystore
    """


@keys.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--device", "devices", multiple=True, metavar="EUI",
              help="Also issue a device's DS and KA keys (repeatable).")
@click.option("--force", is_flag=True, help="Replace a PKI already in DIRECTORY.")
@click.option("--validity-days", default=3650, show_default=True, help="Validity of the organisation certificates.")
def keys_init(directory: str, devices: tuple[str, ...], force: bool, validity_days: int) -> None:
    """Create a test PKI in DIRECTORY with the RTDS key-store layout.

    Root and issuing CAs (in ca/), and for each remote party <eui>-ds and <eui>-ka
    certificates with PKCS#8 keys: supplier (with a prepayment -pp-ka key and an xmlSign
    role-135 certificate for DUIS), second supplier, network operator, access control
    broker, transitional CoS, WAN provider, recovery and load controller (role 8).
    """
    from .keys.pki import PkiError, init_pki

    try:
        pki = init_pki(directory, devices=[_eui_argument(d) for d in devices], overwrite=force,
                       validity_days=validity_days)
    except PkiError as exc:
        raise click.UsageError(str(exc)) from None
    files = sorted(p.name for p in Path(pki.directory).iterdir() if p.is_file())
    click.echo(f"test PKI in {directory}: {len(files)} key and certificate files")


@keys.command("device")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("euis", nargs=-1, required=True, metavar="EUI...")
@click.option("--no-private-keys", is_flag=True, help="Write certificates only, as the RTDS key store does.")
def keys_device(directory: str, euis: tuple[str, ...], no_private_keys: bool) -> None:
    """Issue DS and KA device certificates (and keys) for each EUI from the PKI in DIRECTORY."""
    from .keys.pki import PkiError, issue_device

    for text in euis:
        try:
            written = issue_device(directory, _eui_argument(text), private_keys=not no_private_keys)
        except PkiError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"{text.upper()}: " + ", ".join(p.name for p in written))


@keys.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per EUI.")
def keys_list(directory: str, as_json: bool) -> None:
    """List the EUIs of a key store with their role, usages and any warnings."""
    try:
        store = load_keystore(directory)
    except (KeystoreError, OSError) as exc:
        raise click.UsageError(f"key store {directory}: {exc}") from None
    for eui in store.euis():
        usages = sorted(usage for usage in USAGES if store.entry(eui, usage) is not None)
        private = sorted(u for u in usages if store.private_key(eui, u) is not None)
        role = store.role(eui)
        kind = "device" if store.is_device(eui) else (f"role {role}" if role is not None else "key only")
        if as_json:
            click.echo(json.dumps({"eui": eui.hex().upper(), "kind": kind, "role": role, "usages": usages,
                                   "private": private}))
        else:
            click.echo(f"{eui.hex().upper()}  {kind:10s} {' '.join(usages):22s} private: {' '.join(private) or '-'}")
    for warning in store.warnings:
        click.echo(f"warning: {warning}", err=True)


main.add_command(prove_cli.prove)
main.add_command(serve_cli.serve)
main.add_command(scenario_cli.scenario)
main.add_command(hil_cli.hil)
main.add_command(mqtt_cli.mqtt_serve)
main.add_command(conformance_cli.conformance)


if __name__ == "__main__":  # pragma: no cover
    main()
