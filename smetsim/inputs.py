"""Reading GBCS messages from files, directories and standard input (hex, base64 or raw bytes)."""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


@dataclass(frozen=True, slots=True)
class Item:
    """One input message (or an input that could not be read, with ``problem`` set)."""

    source: str
    data: bytes
    problem: str | None = None


def decode_text_line(line: str) -> bytes | None:
    """Hex (whitespace ignored) or base64 text as bytes; None when it is neither."""
    compact = "".join(line.split())
    if _HEX.match(compact):
        return bytes.fromhex(compact)
    if _BASE64.match(compact) and len(compact) % 4 == 0:
        try:
            return base64.b64decode(compact, validate=True)
        except binascii.Error:
            return None
    return None


def split_blob(source: str, blob: bytes) -> Iterator[Item]:
    """Messages in one file's bytes: each non-empty text line, or the whole blob when it is binary."""
    try:
        text = blob.decode("ascii")
    except UnicodeDecodeError:
        yield Item(source, blob)
        return
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        yield Item(source, b"", "empty input")
        return
    decoded = [(n, decode_text_line(line)) for n, line in lines]
    if all(data is None for _, data in decoded):
        # Not hex or base64 text: treat the file as raw message bytes.
        yield Item(source, blob)
        return
    for n, data in decoded:
        name = source if len(lines) == 1 else f"{source}:{n}"
        if data is None:
            yield Item(name, b"", f"line {n} is neither hex nor base64")
        else:
            yield Item(name, data)


def iter_inputs(inputs: list[str]) -> Iterator[Item]:
    """Every message named by the command-line INPUTs, in order (directories: ``*.HEX`` below, sorted)."""
    for spec in inputs:
        if spec == "-":
            yield from split_blob("<stdin>", sys.stdin.buffer.read())
            continue
        path = Path(spec)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.upper() == ".HEX")
            if not files:
                yield Item(spec, b"", "directory holds no *.HEX files")
            for file in files:
                yield from _read_file(file)
        elif path.is_file():
            yield from _read_file(path)
        else:
            yield Item(spec, b"", "no such file or directory")


def _read_file(path: Path) -> Iterator[Item]:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        yield Item(str(path), b"", f"cannot read: {exc.strerror}")
        return
    yield from split_blob(str(path), blob)
