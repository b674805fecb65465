"""`qbank eval`: retrieval for qbank and the baselines, answer quality, one table, written to eval/."""

from __future__ import annotations

from pathlib import Path

from eval.dataset import DEV_SET, load_dev_set
from eval.report import ANSWER_COLUMNS, HEADLINE_GROUPS, RETRIEVAL_COLUMNS, _cell, write_report
from eval.retrieval_eval import evaluate_retrieval
from retrieval.searcher import Searcher

EVAL_DIR = Path(__file__).resolve().parent


def console_table(retrieval: dict, answers: dict | None) -> str:
    header = f"{'system / group':52s}" + "".join(f"{c:>17s}" for c in RETRIEVAL_COLUMNS)
    lines = [header, "-" * len(header)]
    for group in HEADLINE_GROUPS:
        for system, by_group in retrieval.items():
            figures = by_group.get(group)
            if figures:
                row = "".join(f"{_cell(figures.get(c), c):>17s}" for c in RETRIEVAL_COLUMNS)
                lines.append(f"{(system + ' — ' + group)[:52]:52s}{row}")
    if answers:
        lines += ["", f"{'answers / group':52s}" + "".join(f"{c:>19s}" for c in ANSWER_COLUMNS)]
        for group, figures in answers.items():
            lines.append(f"{group[:52]:52s}" + "".join(f"{_cell(figures.get(c), c):>19s}" for c in ANSWER_COLUMNS))
    return "\n".join(lines)


def run_eval(dev_path: Path = DEV_SET, out_dir: Path = EVAL_DIR, with_answers: bool = True) -> str:
    dev = load_dev_set(dev_path)
    searcher = Searcher.open()
    retrieval = evaluate_retrieval(searcher, dev)
    answers = None
    if with_answers:
        from eval.answer_eval import evaluate_answers

        answers = evaluate_answers(searcher, dev)
    paths = write_report(out_dir, retrieval, answers, len(dev))
    written = ", ".join(str(p) for p in paths.values())
    return console_table(retrieval, answers) + f"\n\nwrote {written}"
