"""DUIS XML throughput: sign, verify and XSD-validate every DUIS 5.4 request template.

    python -m benches.duis_sign_verify [CORPUS_DIR] [--passes N] [--json OUT.json]

CORPUS_DIR is the reference corpus root (holding duis/templates, duis/xsd and zaz1-keys;
default $SMETSIM_CORPUS or ../shared/corpus).  Each template is re-addressed and signed with the
supplier's xmlSign key; the rates are requests per second, best of N passes over all templates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from proving.duis import (
    CertStore,
    load_certificate,
    load_private_key,
    load_schema,
    parse_request,
    readdress,
    sign,
    to_bytes,
    verify,
)

DEFAULT_CORPUS = Path(os.environ.get("SMETSIM_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
SIGNER = "xml-sign-90B3D51F30010000-ds"


def best_rate(items: Sequence, operation: Callable, passes: int) -> float:
    """Items per second for the fastest of ``passes`` passes of ``operation`` over ``items``."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for item in items:
            operation(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    templates = sorted((args.corpus / "duis" / "templates").glob("*.XML"))
    if not templates:
        raise SystemExit(f"no DUIS templates under {args.corpus / 'duis' / 'templates'}")
    keys = args.corpus / "zaz1-keys"
    key, cert = load_private_key(keys / f"{SIGNER}.key"), load_certificate(keys / f"{SIGNER}.pem")
    store = CertStore.from_directory(keys)
    start = time.perf_counter()
    schema = load_schema(args.corpus / "duis" / "xsd")
    schema_seconds = time.perf_counter() - start

    unsigned = []
    for counter, path in enumerate(templates, start=1_700_000_000_000):
        unsigned.append(readdress(parse_request(path), counter=counter).to_xml())
    signed = [to_bytes(sign(doc, key, cert)) for doc in unsigned]
    invalid = sum(bool(schema.validate(doc)) for doc in signed)

    report = {
        "requests": len(templates),
        "invalid": invalid,
        "passes": args.passes,
        "schema_load_seconds": schema_seconds,
        "sign_per_second": best_rate(unsigned, lambda doc: sign(doc, key, cert), args.passes),
        "verify_per_second": best_rate(signed, lambda raw: verify(raw, store), args.passes),
        "validate_per_second": best_rate(signed, schema.validate, args.passes),
        "parse_request_per_second": best_rate(signed, parse_request, args.passes),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    print(f"{len(templates)} DUIS request templates, {invalid} invalid after signing; "
          f"schema compiled in {schema_seconds * 1000:.0f} ms")
    for name in ("sign", "verify", "validate", "parse_request"):
        print(f"  {name:14s} {report[f'{name}_per_second']:9.1f} requests/s")


if __name__ == "__main__":
    main()
