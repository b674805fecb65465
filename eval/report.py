"""Write the evaluation: a markdown table, the raw figures as JSON, and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path

RETRIEVAL_COLUMNS = ("hit@1", "hit@5", "mrr@10", "abstention", "false_abstention", "latency_p50_ms", "latency_p95_ms")
ANSWER_COLUMNS = (
    "citation_validity",
    "support_rate",
    "key_term_coverage",
    "correct_abstention",
    "latency_p50_ms",
    "latency_p95_ms",
)
HEADLINE_GROUPS = ("lookup (all standalone)", "followup", "out_of_scope", "all")


def _cell(value: float | None, column: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if column.endswith("_ms") else f"{value:.3f}"


def retrieval_table(results: dict[str, dict[str, dict[str, float]]], groups: tuple[str, ...]) -> str:
    lines = [
        "| system | queries | " + " | ".join(RETRIEVAL_COLUMNS) + " |",
        "|---|---|" + "---|" * len(RETRIEVAL_COLUMNS),
    ]
    for group in groups:
        for system, by_group in results.items():
            figures = by_group.get(group)
            if figures is None:
                continue
            cells = " | ".join(_cell(figures.get(c), c) for c in RETRIEVAL_COLUMNS)
            lines.append(f"| {system} — **{group}** | {int(figures['queries'])} | {cells} |")
    return "\n".join(lines)


def answer_table(answers: dict[str, dict[str, float]]) -> str:
    lines = ["| group | queries | " + " | ".join(ANSWER_COLUMNS) + " |", "|---|---|" + "---|" * len(ANSWER_COLUMNS)]
    for group, figures in answers.items():
        cells = " | ".join(_cell(figures.get(c), c) for c in ANSWER_COLUMNS)
        lines.append(f"| {group} | {int(figures['queries'])} | {cells} |")
    return "\n".join(lines)


def write_chart(results: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    metrics = ("hit@1", "hit@5", "mrr@10")
    group = "lookup (all standalone)"
    systems = list(results)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = [results[system].get(group, {}).get(m, 0.0) for m in metrics]
        bars = ax.bar([x + i * width for x in range(len(metrics))], values, width, label=system)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(metrics))], metrics)
    ax.set_ylim(0, 1.05)
    ax.set_title("Retrieval on the dev set (standalone lookups)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(
    out_dir: Path,
    retrieval: dict[str, dict[str, dict[str, float]]],
    answers: dict[str, dict[str, float]] | None,
    dev_size: int,
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / "report.md", "json": out_dir / "report.json", "chart": out_dir / "report.png"}
    paths["json"].write_text(json.dumps({"retrieval": retrieval, "answers": answers}, indent=2), encoding="utf-8")
    write_chart(retrieval, paths["chart"])
    styles = sorted({g for by_group in retrieval.values() for g in by_group} - set(HEADLINE_GROUPS))
    parts = [
        "# qbank evaluation",
        "",
        f"Dev set: `eval/dev.jsonl`, {dev_size} hand-labelled queries. Regenerate with `qbank eval`.",
        "All systems use the same embedder; latency is per query on this machine, in one process.",
        "",
        "## Retrieval — headline",
        "",
        retrieval_table(retrieval, HEADLINE_GROUPS),
        "",
        "![retrieval chart](report.png)",
        "",
        "## Retrieval — per query style",
        "",
        retrieval_table(retrieval, tuple(styles)),
    ]
    if answers:
        parts += ["", "## Answers (offline composer)", "", answer_table(answers)]
    paths["markdown"].write_text("\n".join(parts) + "\n", encoding="utf-8")
    return paths
