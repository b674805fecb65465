"""Synthetic question banks of any size, made by recombining the real banks' sentences.

Questions splice the opening of one real question onto the ending of another; answers are
runs of real answer sentences, with the lengths drawn so the whole bank reaches the size asked
for. The text is therefore realistic to the tokenizer and the embedder (the same vocabulary,
sentence shapes and lengths as the shipped banks) while every entry is new. Deterministic for a
seed.

    python -m eval.synthetic_bank --questions 32000 --megabytes 15 --out /tmp/big/bank.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.corpus import default_bank_dir, ingest_paths
from ingest.entry import EntryKind

QUESTIONS_PER_SECTION = 200
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class SentencePool:
    questions: tuple[str, ...]
    answer_sentences: tuple[str, ...]
    sections: tuple[str, ...]


def sentence_pool(bank_dir: Path | None = None) -> SentencePool:
    entries = ingest_paths([bank_dir or default_bank_dir()]).entries
    questions = tuple(e.question for e in entries if e.question.endswith("?") and len(e.question.split()) >= 4)
    sentences: list[str] = []
    for entry in entries:
        if entry.kind is EntryKind.QA:
            plain = re.sub(r"[*`#>|_]+", "", entry.answer)  # a sentence must not open a bold question line
            sentences.extend(s.strip() for line in plain.splitlines() for s in _SENTENCE.split(line) if len(s) > 20)
    sections = tuple(sorted({re.sub(r"^[\d.)\s]+", "", e.section_path[0]) for e in entries if e.section_path}))
    return SentencePool(questions, tuple(dict.fromkeys(s.lstrip("-+ 0123456789.)") for s in sentences)), sections)


def synthetic_entries(count: int, answer_chars: float, pool: SentencePool, seed: int = 0) -> Iterator[tuple[str, str]]:
    """(question, answer) pairs, every question distinct; answers average about `answer_chars`."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    mean_sentence = float(np.mean([len(s) for s in pool.answer_sentences]))
    while len(seen) < count:
        first, second = (pool.questions[i].rstrip("?").split() for i in rng.integers(len(pool.questions), size=2))
        cut_a, cut_b = max(2, len(first) // 2), len(second) // 2
        question = " ".join(first[:cut_a] + second[cut_b:]) + "?"
        if question in seen:
            continue
        seen.add(question)
        sentences = max(1, int(rng.poisson(answer_chars / mean_sentence)))
        answer = " ".join(pool.answer_sentences[i] for i in rng.integers(len(pool.answer_sentences), size=sentences))
        yield question, answer


def write_bank(path: Path, questions: int, megabytes: float, seed: int = 0, pool: SentencePool | None = None) -> Path:
    pool = pool or sentence_pool()
    overhead = 40  # "### N. " + "**Answer:** " + blank lines, per entry
    mean_question = float(np.mean([len(q) for q in pool.questions]))
    answer_chars = max(40.0, megabytes * 1_000_000 / questions - mean_question - overhead)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# Synthetic interview questions ({questions:,} questions, recombined from the real banks)\n\n")
        for number, (question, answer) in enumerate(synthetic_entries(questions, answer_chars, pool, seed), 1):
            if (number - 1) % QUESTIONS_PER_SECTION == 0:
                out.write(f"## {pool.sections[(number // QUESTIONS_PER_SECTION) % len(pool.sections)]} {number}\n\n")
            out.write(f"### {number}. {question}\n**Answer:** {answer}\n\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=32_000)
    parser.add_argument("--megabytes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="the bank file to write (.md)")
    args = parser.parse_args(argv)
    path = write_bank(args.out, args.questions, args.megabytes, args.seed)
    print(f"wrote {path}: {path.stat().st_size / 1e6:.1f} MB, {args.questions:,} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
