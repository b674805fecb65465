"""Practice grading on blind-written answers: per-kind mean score, tune and heldout, beside the
previous (word-matching) grader in the same run.

Data: eval/blind/raw/H_practice_answers.jsonl (126 answers to 24 bank questions, written blind:
correct paraphrases, partial, wrong, keyword stuffing, empty), split once by question in
eval/practice_split.json. `--fit` refits the grader's constants on `tune` only (grid search,
checked by leave-one-question-out cross-validation) and prints them; they are copied into
answer/practice.py by hand, so a fit never changes grading silently.

    python -m eval.practice_eval [--fit] [--report eval/practice_report.md]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer.practice import (
    STUFFING_BIAS,
    STUFFING_WEIGHTS,
    UngradableAnswer,
    Weights,
    grade_answer,
    measure,
    references_for,
    stuffing_features,
)

EVAL = Path(__file__).resolve().parent
ROOT = EVAL.parent
ANSWERS = EVAL / "blind" / "raw" / "H_practice_answers.jsonl"
SPLIT = EVAL / "practice_split.json"
REPORT = EVAL / "practice_report.md"
STUFFING_C = 10.0
PREVIOUS_COMMIT = "917998f"  # the word-matching grader (answer/practice.py before issue 9)
KINDS = ("correct", "partial", "wrong", "stuffing", "empty")
TARGETS = {"correct": (">=", 0.70), "wrong": ("<=", 0.20), "stuffing": ("<=", 0.30)}
# Scores the fit aims at per kind: correct high, wrong low, partial in between (stuffing is
# handled by its own classifier and left out of the point fit).
GRID = {
    "point_question": (0.0, 0.25, 0.5, 0.75, 1.0),
    "terms": (0.0, 0.25, 0.5, 0.75),
    "answer_question": (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5),
    "threshold": tuple(round(x, 3) for x in np.arange(-0.4, 1.0, 0.025)),
}


@dataclass(frozen=True)
class Sample:
    entry_id: str
    kind: str
    answer: str
    split: str


def load_samples() -> list[Sample]:
    split = json.loads(SPLIT.read_text(encoding="utf-8"))
    side = {entry_id: name for name in ("tune", "heldout") for entry_id in split[name]}
    samples = []
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            samples.append(Sample(row["entry_id"], row["kind"], row["answer"], side[row["entry_id"]]))
    return samples


def previous_grader():
    """grade_answer of the previous release, loaded from git (never copied into the tree)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{PREVIOUS_COMMIT}:answer/practice.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "previous_practice.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("previous_practice", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module.grade_answer


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def evaluate(searcher, samples: list[Sample]) -> dict:
    """{split: {grader: {kind: mean score}}}, plus refusals per kind for the current grader."""
    previous = previous_grader()
    scores: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    refused: dict = defaultdict(lambda: defaultdict(int))
    counts: dict = defaultdict(lambda: defaultdict(int))
    for sample in samples:
        references = references_for(searcher, searcher.entry(sample.entry_id))
        counts[sample.split][sample.kind] += 1
        scores[sample.split]["previous"][sample.kind].append(previous(sample.answer, references, searcher.embed).score)
        try:
            scores[sample.split]["current"][sample.kind].append(
                grade_answer(sample.answer, references, searcher.embed).score
            )
        except UngradableAnswer:
            refused[sample.split][sample.kind] += 1
    return {
        split: {
            "counts": dict(counts[split]),
            "refused": dict(refused[split]),
            "previous": {k: _mean(v) for k, v in scores[split]["previous"].items()},
            "current": {k: _mean(v) for k, v in scores[split]["current"].items()},
        }
        for split in ("tune", "heldout")
    }


def table(results: dict) -> str:
    lines = [
        "| split | grader | " + " | ".join(KINDS) + " |",
        "|---|---|" + "---|" * len(KINDS),
    ]
    for split in ("heldout", "tune"):
        figures = results[split]
        for grader in ("current", "previous"):
            cells = []
            for kind in KINDS:
                mean = figures[grader].get(kind)
                text = "–" if mean is None else f"{mean:.0%}"
                if grader == "current" and figures["refused"].get(kind):
                    text += f" (refused {figures['refused'][kind]}/{figures['counts'][kind]})"
                cells.append(text)
            lines.append(f"| {split} | {grader} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(results: dict) -> list[str]:
    heldout = results["heldout"]
    lines = []
    for kind, (op, bound) in TARGETS.items():
        value = heldout["current"].get(kind)
        ok = value is not None and (value >= bound if op == ">=" else value <= bound)
        lines.append(f"heldout {kind}: {value:.0%} (target {op} {bound:.0%}) {'PASS' if ok else 'FAIL'}")
    empty = heldout["counts"].get("empty", 0)
    lines.append(f"heldout empty: refused {heldout['refused'].get('empty', 0)} of {empty}")
    return lines


# -- fitting on tune ----------------------------------------------------------------------------


def _kind_means(measured: list, weights: Weights) -> dict[str, float]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for sample, m in measured:
        if sample.kind != "stuffing":
            by_kind[sample.kind].append(float(m.covered(weights).mean()))
    return {k: float(np.mean(v)) for k, v in by_kind.items()}


def _objective(means: dict[str, float]) -> float:
    """The worse margin of correct ≥ 0.7 and wrong ≤ 0.2, then partial between them."""
    margin = min(means["correct"] - 0.7, 0.2 - means["wrong"])
    order = min(means["partial"] - means["wrong"], means["correct"] - means["partial"])
    return margin + 0.1 * order


def _best(measured: list) -> Weights:
    candidates = (Weights(*values) for values in itertools.product(*GRID.values()))
    return max(candidates, key=lambda w: _objective(_kind_means(measured, w)))


def fit(searcher, samples: list[Sample]) -> None:
    tune = [s for s in samples if s.split == "tune" and s.kind != "empty"]
    measured = []
    for sample in tune:
        m = measure(sample.answer, references_for(searcher, searcher.entry(sample.entry_id)), searcher.embed)
        if m is not None:
            measured.append((sample, m))
    # Stuffing first: a logistic regression over the answer's form alone. The banks' own answers
    # are telegraphic but state their points, so they join as non-stuffing examples (weighted to
    # half of tune in total): a user who writes like the bank must not read as stuffing.
    from sklearn.linear_model import LogisticRegression

    bank = [e.answer for e in searcher.entries if e.has_answer]
    features = np.array([stuffing_features(s.answer) for s in tune] + [stuffing_features(a) for a in bank])
    labels = np.array([s.kind == "stuffing" for s in tune] + [False] * len(bank))
    weight = np.array([1.0] * len(tune) + [0.5 * len(tune) / len(bank)] * len(bank))
    model = LogisticRegression(C=STUFFING_C).fit(features, labels, sample_weight=weight)
    print(f"stuffing: weights {np.round(model.coef_[0], 2).tolist()} bias {model.intercept_[0]:.2f}")
    print(f"  (in code: weights {STUFFING_WEIGHTS} bias {STUFFING_BIAS})")
    decided = model.decision_function(features) > 0
    flagged = sorted(s.kind for s, hit in zip(tune, decided[: len(tune)], strict=True) if hit)
    print(f"  flagged on tune: {flagged}; bank answers flagged: {decided[len(tune) :].mean():.1%}")
    # The point weights, with stuffing answers out (the classifier handles them).
    unstuffed = [(s, m) for s, m in measured if s.kind != "stuffing"]
    cv: dict[str, list[float]] = defaultdict(list)
    for held in sorted({s.entry_id for s, _ in unstuffed}):
        weights = _best([(s, m) for s, m in unstuffed if s.entry_id != held])
        for sample, m in unstuffed:
            if sample.entry_id == held:
                cv[sample.kind].append(float(m.covered(weights).mean()))
    print("leave-one-question-out on tune:", {k: round(float(np.mean(v)), 3) for k, v in cv.items()})
    best = _best(unstuffed)
    print("fitted on all of tune:", best, {k: round(v, 3) for k, v in _kind_means(unstuffed, best).items()})
    print("in code:", Weights(), {k: round(v, 3) for k, v in _kind_means(unstuffed, Weights()).items()})


def practice_summary(searcher, out_dir: Path = EVAL) -> str:
    """For `qbank eval`: the table and verdicts, with the report written beside the others."""
    results = evaluate(searcher, load_samples())
    path = out_dir / REPORT.name
    path.write_text(report(results), encoding="utf-8")
    lines = ["practice grading (mean share of key points credited, per kind of blind answer)"]
    return "\n".join([*lines, table(results), *verdicts(results), f"wrote {path}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit the constants on tune and print them")
    parser.add_argument("--report", default=str(REPORT), help="where the markdown report goes ('' for none)")
    args = parser.parse_args(argv)
    from retrieval.searcher import Searcher

    searcher = Searcher.open()
    samples = load_samples()
    if args.fit:
        fit(searcher, samples)
        return 0
    results = evaluate(searcher, samples)
    text = table(results) + "\n\n" + "\n".join(verdicts(results))
    print(text)
    if args.report:
        Path(args.report).write_text(report(results), encoding="utf-8")
        print(f"\nwrote {args.report}")
    return 0


METHOD = """## How the grader was fitted, and its limits

- Key points are the reference answer's bullets and sentences, in its own words. A point is covered
  when `similarity − 0.25·point~question + 0.5·key-term share − 1.5·answer~question > −0.325`
  (similarity: best MiniLM cosine to a sentence, two neighbouring sentences or the whole answer;
  at least 0.3 in any case). Grid search on `tune` (stuffing left to its own check); leave-one-
  question-out on `tune` gave correct 82 %, partial 38 %, wrong 13 % (`--fit` prints it).
- Keyword stuffing: logistic regression over the share of function words and the mean words per
  list item, fitted on `tune` with the banks' own answers as extra non-stuffing examples (2.2 % of
  bank answers still read as lists; for those questions a list answer is not treated as stuffing).
  A stuffed answer covers no point and is told why. Empty answers, and answers with fewer than two
  content words beyond the question's, are refused with a message (`UngradableAnswer`).
- Key terms are named to the user only when at most 1 % of bank entries use them.
- **Limit.** Much of the correct/wrong separation comes from the answer's similarity to the
  question: the blind wrong answers restate the question's term ("LoRA is a quantization method"),
  most correct paraphrases say "It …". A correct answer that opens with the question's words is
  under-credited (tests/test_app_practice.py keeps such a case as a strict xfail). Two variants
  without this reliance failed cross-validation on `tune`: the answer's excess similarity over the
  reference's own (correct 54 %, wrong 22 %) and similarity with the question's words removed
  (correct 63 %, wrong 41 %). Partial answers score low (25 % on heldout). More varied tune data
  (other writers, answers that restate the question) is what would tell these apart.
- Before the split was made, the raw answers of 4 questions were read (2 are in `heldout`); no
  constant was chosen from them.
"""


def report(results: dict) -> str:
    return "\n".join(
        [
            "# Practice grading: blind answers, tune and heldout",
            "",
            "Written by `python -m eval.practice_eval` (mean share of key points credited, per kind of answer;",
            "`current` grades by meaning, `previous` is the word-matching grader of commit "
            f"{PREVIOUS_COMMIT}). Data: `{ANSWERS.relative_to(ROOT)}`, split by question in "
            f"`{SPLIT.relative_to(ROOT)}`; every constant was fitted on `tune` only.",
            "",
            table(results),
            "",
            *(f"- {line}" for line in verdicts(results)),
            "",
            METHOD,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
