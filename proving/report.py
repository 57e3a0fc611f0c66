"""Writing a Production Proving report: the JSON automated checks read, an HTML page, a terminal table."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Any

STATUS_ORDER = ("passed", "failed", "refused", "unsupported")


def write_json(report: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def write_html(report: dict[str, Any], path: str | Path) -> None:
    """A self-contained page: the summary, then one row per request."""
    summary = report["summary"]
    rows = []
    for r in report["requests"]:
        links = " ".join(f'<a href="{html.escape(Path(p).as_posix())}">{i}</a>'
                         for i, p in enumerate(r["response_xml"], 1))
        rows.append(f'<tr class="{r["status"]}"><td>{html.escape(Path(r["file"]).name)}</td><td>{r["srv"]}</td>'
                    f'<td>{r["role"] or ""}</td><td>{r["outcome"]}</td><td>{r["status"]}</td>'
                    f'<td>{html.escape(r["reason"] or "")}</td><td>{r["duration_ms"]}</td><td>{links}</td></tr>')
    counts = "".join(f"<li>{k}: {summary.get(k, 0)}</li>" for k in STATUS_ORDER)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>smetsim Production Proving report</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}
tr.passed{{background:#eaffea}}tr.failed{{background:#ffe8e8}}tr.refused{{background:#fff6dc}}
tr.unsupported{{background:#eeeeee}}</style></head><body>
<h1>Production Proving report</h1><ul>{counts}<li>total: {summary["total"]}</li>
<li>duration: {summary["duration_s"]} s</li></ul>
<table><tr><th>request</th><th>SRV</th><th>role</th><th>outcome</th><th>status</th><th>reason</th><th>ms</th>
<th>responses</th></tr>{"".join(rows)}</table></body></html>
"""
    Path(path).write_text(page, encoding="utf-8")


def summary_table(report: dict[str, Any]) -> str:
    """The terminal summary: counts by status and outcome, then every request that did not pass."""
    summary = report["summary"]
    lines = [f"{'status':<12}{'count':>6}"]
    lines += [f"{status:<12}{summary.get(status, 0):>6}" for status in STATUS_ORDER]
    lines.append(f"{'total':<12}{summary['total']:>6}   ({summary['duration_s']} s)")
    outcomes = Counter(r["outcome"] for r in report["requests"])
    lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items(), key=str)))
    problems = [r for r in report["requests"] if r["status"] != "passed"]
    if problems:
        lines.append("")
        lines.append(f"{'request':<58}{'SRV':<9}{'outcome':<12}reason")
        for r in problems:
            lines.append(f"{Path(r['file']).name[:57]:<58}{r['srv']:<9}{str(r['outcome']):<12}{r['reason'] or ''}")
    return "\n".join(lines)
