"""Shared fixtures: where the reference corpus lives (read-only, never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_root() -> Path | None:
    """The corpus directory from $SMETSIM_CORPUS or ../shared/corpus, or None when absent."""
    root = Path(os.environ.get("SMETSIM_CORPUS", _DEFAULT_CORPUS))
    return root if root.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_root()
    if root is None:
        pytest.skip("reference corpus not found: set SMETSIM_CORPUS or place it at ../shared/corpus")
    return root


@pytest.fixture(scope="session")
def rtds_files(corpus: Path) -> list[Path]:
    files = sorted((corpus / "rtds").rglob("*.HEX"))
    if not files:
        pytest.skip(f"no RTDS *.HEX files under {corpus / 'rtds'}")
    return files


@pytest.fixture(scope="session")
def rtds_messages(rtds_files: list[Path]) -> list[tuple[str, bytes]]:
    """Every RTDS message as (path relative to rtds/, raw bytes)."""
    out = []
    for path in rtds_files:
        out.append((f"{path.parent.name}/{path.name}", bytes.fromhex(path.read_text().strip())))
    return out


@pytest.fixture(scope="module")
def parties():  # noqa: ANN201 - emulator.testkit.RemoteParties, imported lazily
    """Remote parties (supplier, network operator, ACB, ...) with fresh keys, one set per test module."""
    from emulator.testkit import RemoteParties

    return RemoteParties()
