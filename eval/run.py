"""`qbank eval`: retrieval for qbank and the baselines, answer quality; heldout first, tune beside it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from eval.dataset import EVAL_DIR, HELDOUT, QUERIES, SPLITS, TUNE, load_queries
from eval.report import ANSWER_COLUMNS, HEADLINE_GROUPS, PREVIOUS, PRIMARY, RETRIEVAL_COLUMNS, _cell, write_report
from eval.retrieval_eval import evaluate_retrieval
from retrieval.searcher import Searcher


def console_table(retrieval: dict, answers: dict | None) -> str:
    header = f"{'split / system / group':56s}" + "".join(f"{c[:12]:>13s}" for c in RETRIEVAL_COLUMNS)
    lines = [header, "-" * len(header)]
    for split in (HELDOUT, TUNE):
        for group in HEADLINE_GROUPS:
            for system, by_group in retrieval[split].items():
                if split == TUNE and system != PRIMARY:
                    continue
                figures = by_group.get(group)
                if figures:
                    row = "".join(f"{_cell(figures.get(c), c):>13s}" for c in RETRIEVAL_COLUMNS)
                    lines.append(f"{(split + ' / ' + system + ' / ' + group)[:56]:56s}{row}")
    if answers:
        for split, by_group in answers.items():
            lines += ["", f"{'answers / ' + split:56s}" + "".join(f"{c[:17]:>18s}" for c in ANSWER_COLUMNS)]
            for group, figures in by_group.items():
                lines.append(f"{group[:56]:56s}" + "".join(f"{_cell(figures.get(c), c):>18s}" for c in ANSWER_COLUMNS))
    return "\n".join(lines)


def run_eval(queries_path: Path = QUERIES, out_dir: Path = EVAL_DIR, with_answers: bool = True) -> str:
    searcher = Searcher.open()
    retrieval, answers, sizes = {}, {}, {}
    for split in SPLITS:
        queries = load_queries(queries_path, split)
        sizes[split] = len(queries)
        retrieval[split] = evaluate_retrieval(searcher, queries)
        if with_answers:
            from eval.answer_eval import evaluate_answers, evaluate_previous

            answers[split] = evaluate_answers(searcher, queries)
            if split == HELDOUT:  # the previous release's composer beside it, in the same run
                workdir = Path(tempfile.mkdtemp(prefix="qbank-previous-composer-"))
                try:
                    answers[PREVIOUS] = evaluate_previous(searcher, queries, queries_path, workdir)
                except (RuntimeError, OSError) as exc:
                    print(f"note: the previous composer could not run ({exc}); reported without it")
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
    fitted = searcher.calibration.fitted_on
    note = f"calibration fitted on the {fitted.get('split', '?')} split, n={fitted.get('count', '?')}"
    paths = write_report(out_dir, retrieval, answers or None, sizes, note)
    written = ", ".join(str(p) for p in paths.values())
    console = console_table(retrieval, answers or None)
    if with_answers:
        from eval.practice_eval import practice_summary

        console += "\n\n" + practice_summary(searcher, out_dir)
    return console + f"\n\nwrote {written}"
