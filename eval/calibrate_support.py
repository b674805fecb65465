"""Measure the support signals of `answer.support` on the dev set and pick its thresholds.

For each in-scope dev query, one relevant answered entry E plays the cited entry, and sentences from
three kinds of other entries are checked against it:

- positives: sentences of another relevant entry of the same query (the same fact, worded by
  another bank or section: a paraphrase, harder than a sentence lifted from E itself);
- near negatives: sentences of a top-10 retrieved entry that is not relevant (same topic, other fact);
- random negatives: sentences of a random entry from another top-level section.

Run: `.venv/bin/python -m eval.calibrate_support` (about a minute). The figures it prints are the
ones recorded above the thresholds in `answer/support.py`.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from answer.support import SupportChecker, content_words, decide, split_sentences
from eval.dataset import TUNE, load_queries
from ingest.entry import Entry

MAX_SENTENCES = 4  # per source entry, so long answers do not dominate
MAX_PAIRS = 3  # cited entries per query


@dataclass
class Sample:
    kind: str  # "positive", "near", "random"
    overlap: float
    cosine: float


def sentences_of(entry: Entry, rng: random.Random) -> list[str]:
    found = [s for s in split_sentences(entry.answer) if len(content_words(s)) >= 2]
    rng.shuffle(found)
    return found[:MAX_SENTENCES]


def collect(seed: int = 13) -> list[Sample]:
    from retrieval.searcher import Searcher

    rng = random.Random(seed)
    searcher = Searcher.open()
    checker = SupportChecker(searcher.embed)
    answered = [e for e in searcher.entries if e.has_answer]
    samples: list[Sample] = []

    def score(kind: str, source: Entry, cited: Entry) -> None:
        for sentence in sentences_of(source, rng):
            overlap = checker.overlap(sentence, cited)
            cosine = checker.cosines(sentence, [cited])[0]
            if overlap is not None and cosine is not None:
                samples.append(Sample(kind, overlap, cosine))

    for query in load_queries(split=TUNE):
        if not query.in_scope:
            continue
        relevant = [searcher.entry(i) for i in sorted(query.relevant) if i in searcher.index.by_id]
        relevant = [e for e in relevant if e.has_answer]
        if not relevant:
            continue
        hits = searcher.search(query.query, history=query.history or None).hits
        near = [h.entry for h in hits if h.entry.id not in query.relevant and h.entry.has_answer]
        for cited in rng.sample(relevant, min(MAX_PAIRS, len(relevant))):
            others = [e for e in relevant if e.id != cited.id and e.answer.strip() != cited.answer.strip()]
            if others:
                score("positive", rng.choice(others), cited)
            if near:
                score("near", rng.choice(near), cited)
            top = cited.section_path[:1]
            unrelated = [e for e in answered if e.id not in query.relevant and e.section_path[:1] != top]
            score("random", rng.choice(unrelated), cited)
    return samples


def accept_rate(samples: Sequence[Sample], kind: str, rule) -> float:
    chosen = [s for s in samples if s.kind == kind]
    return sum(rule(s) for s in chosen) / max(1, len(chosen))


def report(samples: Sequence[Sample]) -> None:
    kinds = ("positive", "near", "random")
    print(f"{'kind':<10}{'n':>6}   overlap p50/p90/p99      cosine p50/p90/p99")
    for kind in kinds:
        ov = np.array([s.overlap for s in samples if s.kind == kind])
        co = np.array([s.cosine for s in samples if s.kind == kind])
        print(
            f"{kind:<10}{len(ov):>6}   "
            + " / ".join(f"{np.percentile(ov, p):.2f}" for p in (50, 90, 99))
            + "         "
            + " / ".join(f"{np.percentile(co, p):.2f}" for p in (50, 90, 99))
        )
    print("\nacceptance (positive / near / random):")
    for ov in (0.4, 0.5, 0.6):
        rates = [accept_rate(samples, k, lambda s, ov=ov: s.overlap >= ov) for k in kinds]
        print(f"  overlap ≥ {ov:.2f}" + " " * 26 + " / ".join(f"{r:6.1%}" for r in rates))
    for co in (0.5, 0.55, 0.6, 0.65):
        rates = [accept_rate(samples, k, lambda s, co=co: s.cosine >= co) for k in kinds]
        print(f"  cosine ≥ {co:.2f}" + " " * 27 + " / ".join(f"{r:6.1%}" for r in rates))
    for ov_weak, co_weak in ((0.25, 0.45), (0.34, 0.45), (0.34, 0.5)):
        rates = [
            accept_rate(samples, k, lambda s, a=ov_weak, b=co_weak: s.overlap >= a and s.cosine >= b) for k in kinds
        ]
        print(
            f"  overlap ≥ {ov_weak:.2f} and cosine ≥ {co_weak:.2f}" + " " * 8 + " / ".join(f"{r:6.1%}" for r in rates)
        )
    best = choose_rule(samples)
    if best:
        rates = [accept_rate(samples, k, rule(*best)) for k in kinds]
        print(
            f"\nbest rule with random ≤ {MAX_RANDOM:.0%} and near ≤ {MAX_NEAR:.0%}: overlap ≥ {best[0]}, or cosine ≥ "
            f"{best[1]}, or (overlap ≥ {best[2]} and cosine ≥ {best[3]}):  " + " / ".join(f"{r:6.1%}" for r in rates)
        )
    alone = choose_overlap_only(samples)
    if alone is not None:
        rates = [accept_rate(samples, k, lambda s, a=alone: s.overlap >= a) for k in kinds]
        print(
            f"best overlap-only rule under the same caps: overlap ≥ {alone}:  " + " / ".join(f"{r:6.1%}" for r in rates)
        )
    rates = [accept_rate(samples, k, lambda s: decide(s.overlap, s.cosine)) for k in kinds]
    print("  the rule in answer/support.py       " + " / ".join(f"{r:6.1%}" for r in rates))
    rates = [accept_rate(samples, k, lambda s: decide(s.overlap, None)) for k in kinds]
    print("  ... without an embedder            " + " / ".join(f"{r:6.1%}" for r in rates))


MAX_RANDOM = 0.01  # unrelated sentences that may pass
MAX_NEAR = 0.12  # same-topic sentences stating another fact that may pass


def rule(ov_strong: float, co_strong: float, ov_weak: float, co_weak: float):
    return lambda s: s.overlap >= ov_strong or s.cosine >= co_strong or (s.overlap >= ov_weak and s.cosine >= co_weak)


def choose_rule(samples: Sequence[Sample]) -> tuple[float, float, float, float] | None:
    """The rule accepting most positives while random and near negatives stay under their caps."""
    best, best_rate = None, -1.0
    for ov_strong in (0.5, 0.6, 0.67, 0.75):
        for co_strong in (0.55, 0.6, 0.65, 0.7):
            for ov_weak in (0.25, 0.34, 0.4):
                for co_weak in (0.4, 0.45, 0.5):
                    r = rule(ov_strong, co_strong, ov_weak, co_weak)
                    if accept_rate(samples, "random", r) > MAX_RANDOM or accept_rate(samples, "near", r) > MAX_NEAR:
                        continue
                    rate = accept_rate(samples, "positive", r)
                    if rate > best_rate:
                        best, best_rate = (ov_strong, co_strong, ov_weak, co_weak), rate
    return best


def choose_overlap_only(samples: Sequence[Sample]) -> float | None:
    """The lowest overlap threshold (most positives) that keeps both negatives under their caps."""
    for threshold in (0.3, 0.34, 0.4, 0.45, 0.5, 0.55, 0.6, 0.67, 0.75):
        r = lambda s, t=threshold: s.overlap >= t  # noqa: E731
        if accept_rate(samples, "random", r) <= MAX_RANDOM and accept_rate(samples, "near", r) <= MAX_NEAR:
            return threshold
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    report(collect(args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
