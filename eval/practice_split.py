"""Split the blind practice answers (eval/blind/raw/H_practice_answers.jsonl) once into tune/heldout.

Run once (already run; re-running reproduces eval/practice_split.json). The split is by entry, so
no question has answers on both sides, and stratified by bank: 3 of the 8 questions of each bank go
to `tune` (9 of 24, 37.5 %), the other 15 to `heldout`. Every constant of the grader is fitted on
`tune` only; eval/practice_eval.py reports both.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

EVAL = Path(__file__).resolve().parent
ANSWERS = EVAL / "blind" / "raw" / "H_practice_answers.jsonl"
SPLIT = EVAL / "practice_split.json"
SEED = 20261202
TUNE_PER_BANK = 3


def main() -> None:
    by_bank: dict[str, list[str]] = defaultdict(list)
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry_id = json.loads(line)["entry_id"]
            bank = entry_id.split("_", 1)[0]
            if entry_id not in by_bank[bank]:
                by_bank[bank].append(entry_id)
    rng = random.Random(SEED)
    split: dict[str, list[str]] = {"tune": [], "heldout": []}
    for bank in sorted(by_bank):
        ids = sorted(by_bank[bank])
        rng.shuffle(ids)
        split["tune"] += sorted(ids[:TUNE_PER_BANK])
        split["heldout"] += sorted(ids[TUNE_PER_BANK:])
    data = {"source": str(ANSWERS.relative_to(EVAL.parent)), "seed": SEED, **split}
    SPLIT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print({k: len(v) for k, v in split.items()})


if __name__ == "__main__":
    main()
