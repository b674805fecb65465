"""Render an ingest result for a person (text) or a program (JSON)."""

from __future__ import annotations

import json

from ingest.corpus import IngestResult


def ingest_report_json(result: IngestResult) -> str:
    return json.dumps(
        {
            "entries": len(result.entries),
            "files": [r.to_dict() for r in result.reports],
            "failed": len(result.failed),
        },
        ensure_ascii=False,
        indent=2,
    )


def ingest_report_text(result: IngestResult) -> str:
    lines: list[str] = []
    for report in result.reports:
        if report.error:
            lines.append(f"✗ {report.path}: {report.error}")
            continue
        kinds = ", ".join(f"{count} {kind}" for kind, count in report.by_kind.items())
        lines.append(f"✓ {report.file} — {report.title}")
        notes = [f"{report.entries} entries ({kinds})"]
        if report.duplicates_collapsed:
            notes.append(f"{report.duplicates_collapsed} exact duplicates collapsed")
        if report.repaired_mojibake:
            notes.append("mojibake repaired")
        lines.append("    " + "; ".join(notes))
        if report.unparsed:
            # Question-like markdown lines that fit no entry format, or CSV/JSONL rows without a question.
            count = len(report.unparsed)
            lines.append(f"    {count} line{'' if count == 1 else 's'} not parsed:")
            lines.extend(f"      line {u.line}: {u.text}" for u in report.unparsed)
    good = len(result.reports) - len(result.failed)
    summary = f"{len(result.entries)} entries from {good} file(s)"
    if result.failed:
        summary += f"; {len(result.failed)} file(s) failed"
    lines.append(summary)
    return "\n".join(lines)
