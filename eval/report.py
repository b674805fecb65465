"""Write the evaluation: markdown tables (heldout headline, tune and the gap beside it), JSON, a chart."""

from __future__ import annotations

import json
from pathlib import Path

RETRIEVAL_COLUMNS = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "rank_hit@1",
    "rank_hit@5",
    "answerable_refused",
    "out_of_scope_refused",
    "latency_p50_ms",
    "latency_p95_ms",
)
GAP_COLUMNS = ("hit@1", "hit@5", "mrr@10", "answerable_refused", "out_of_scope_refused")
ANSWER_COLUMNS = (
    "citation_validity",
    "support_rate",
    "key_term_coverage",
    "explain_first_labelled",
    "unanswered_first",
    "correct_abstention",
    "latency_p50_ms",
    "latency_p95_ms",
)
HEADLINE_GROUPS = ("lookup", "followup", "explain", "compare", "multilingual", "all in scope", "out_of_scope")
PRIMARY = "qbank"
PREVIOUS = "heldout, previous composer"  # the release before the typed answer plan, same queries, same run


def _cell(value: float | None, column: str) -> str:
    if value is None:
        return "–"
    if column == "unanswered_first":
        return f"{value:.0f}"
    return f"{value:.1f}" if column.endswith("_ms") else f"{value:.3f}"


def retrieval_table(by_system: dict[str, dict[str, dict[str, float]]], groups: tuple[str, ...]) -> str:
    lines = [
        "| system — group | queries | " + " | ".join(RETRIEVAL_COLUMNS) + " |",
        "|---|---|" + "---|" * len(RETRIEVAL_COLUMNS),
    ]
    for group in groups:
        for system, by_group in by_system.items():
            figures = by_group.get(group)
            if figures is None:
                continue
            cells = " | ".join(_cell(figures.get(c), c) for c in RETRIEVAL_COLUMNS)
            lines.append(f"| {system} — **{group}** | {int(figures['queries'])} | {cells} |")
    return "\n".join(lines)


def gap_table(heldout: dict[str, dict[str, float]], tune: dict[str, dict[str, float]]) -> str:
    header = " | ".join(f"{c} heldout | {c} tune | gap" for c in GAP_COLUMNS)
    lines = [f"| group | {header} |", "|---|" + "---|---|---|" * len(GAP_COLUMNS)]
    for group in HEADLINE_GROUPS:
        h, t = heldout.get(group), tune.get(group)
        if not h or not t:
            continue
        cells = []
        for column in GAP_COLUMNS:
            a, b = h.get(column), t.get(column)
            gap = f"{b - a:+.3f}" if a is not None and b is not None else "–"
            cells.append(f"{_cell(a, column)} | {_cell(b, column)} | {gap}")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def answer_table(answers: dict[str, dict[str, float]]) -> str:
    lines = ["| group | queries | " + " | ".join(ANSWER_COLUMNS) + " |", "|---|---|" + "---|" * len(ANSWER_COLUMNS)]
    for group, figures in answers.items():
        cells = " | ".join(_cell(figures.get(c), c) for c in ANSWER_COLUMNS)
        lines.append(f"| {group} | {int(figures['queries'])} | {cells} |")
    return "\n".join(lines)


def write_chart(by_system: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    metrics = ("hit@1", "hit@5", "mrr@10")
    group = "lookup"
    systems = list(by_system)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = [by_system[system].get(group, {}).get(m, 0.0) for m in metrics]
        bars = ax.bar([x + i * width for x in range(len(metrics))], values, width, label=system)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(metrics))], metrics)
    ax.set_ylim(0, 1.05)
    ax.set_title("Lookup retrieval on the heldout split (never tuned on)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(
    out_dir: Path,
    retrieval: dict[str, dict[str, dict[str, dict[str, float]]]],
    answers: dict[str, dict[str, dict[str, float]]] | None,
    sizes: dict[str, int],
    calibration_note: str,
) -> dict[str, Path]:
    """retrieval: split → system → group → figures; answers: split → group → figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / "report.md", "json": out_dir / "report.json", "chart": out_dir / "report.png"}
    paths["json"].write_text(json.dumps({"retrieval": retrieval, "answers": answers}, indent=2), encoding="utf-8")
    heldout, tune = retrieval["heldout"], retrieval["tune"]
    write_chart(heldout, paths["chart"])
    styles = tuple(sorted({g for g in heldout[PRIMARY] if g.startswith("style: ")}))
    parts = [
        "# qbank evaluation",
        "",
        f"Queries: `eval/queries.jsonl` — {sizes['heldout']} `heldout` and {sizes['tune']} `tune` "
        "(eval/blind/README.md says how they were written and split). Every constant was fitted on "
        f"`tune` ({calibration_note}); `heldout` is the headline. Regenerate with `qbank eval`.",
        "",
        "hit@k and MRR count a hit only when the search also judged the query covered; rank_hit@k is the "
        "ranking alone. Latency is per query in one warm process on this machine (2 cores).",
        "",
        "## Headline: qbank on `heldout`",
        "",
        retrieval_table({PRIMARY: heldout[PRIMARY]}, HEADLINE_GROUPS),
        "",
        "## Generalization gap (tune − heldout)",
        "",
        gap_table(heldout[PRIMARY], tune[PRIMARY]),
        "",
        "## Baselines on `heldout`",
        "",
        retrieval_table(heldout, HEADLINE_GROUPS),
        "",
        "![retrieval chart](report.png)",
        "",
        "## qbank per query style (`heldout`)",
        "",
        retrieval_table({PRIMARY: heldout[PRIMARY]}, styles),
    ]
    if answers:
        parts += [
            "",
            "Answers: citation validity and key-term coverage are shares of in-scope queries; "
            "explain_first_labelled is the share of explain answers whose first cited entry is a labelled "
            "relevant one; unanswered_first counts answers that lead with an entry asked without an answer "
            "although an answered labelled entry exists (target 0).",
        ]
        for split in ("heldout", PREVIOUS, "tune"):
            if split in answers:
                title = (
                    "previous release's composer, `heldout`" if split == PREVIOUS else f"offline composer, `{split}`"
                )
                parts += ["", f"## Answers ({title})", "", answer_table(answers[split])]
    paths["markdown"].write_text("\n".join(parts) + "\n", encoding="utf-8")
    return paths
