#!/usr/bin/env python3
"""List bank entries similar to a text or to an entry id (IDF-weighted word overlap).

A labelling aid only: it knows nothing of qbank. Use it to find *every* entry that answers
a query (equivalent questions in other banks, question-only entries, scenario entries).

  python3 tools/similar.py "text of a query or concept" [-n 25] [--questions-only]
  python3 tools/similar.py --id 000_4976b01af1e11b90#1-88630b60 [-n 25]
  python3 tools/similar.py --show ID [ID ...]      # print entries in full
"""
import argparse, json, math, re, sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ENTRIES = [json.loads(l) for l in open(HERE / "entries.jsonl", encoding="utf-8")]
BY_ID = {e["id"]: e for e in ENTRIES}
STOP = set("a an the of to in on for and or is are was were be been being what how why when which who whom "
           "do does did can could should would will with without by from as at this that these those it its "
           "you your we our they their i me my explain describe difference between vs versus".split())

def words(t):
    return [w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z0-9][a-z0-9\-\+]*", t.lower()) if w not in STOP]

DOCS = []
for e in ENTRIES:
    DOCS.append((Counter(words(e["question"])), Counter(words(e["answer"] + " " + " ".join(e["follow_ups"])))))
DF = Counter()
for q, a in DOCS:
    DF.update(set(q) | set(a))
N = len(DOCS)
IDF = {w: math.log(N / (1 + d)) + 1 for w, d in DF.items()}

def score(query_words, i, questions_only):
    q, a = DOCS[i]
    s = 0.0
    for w in set(query_words):
        idf = IDF.get(w, math.log(N) + 1)
        if w in q:
            s += 2 * idf
        elif w in a and not questions_only:
            s += 0.5 * idf
    return s

def show(e, full=False):
    ans = e["answer"] if full else (e["answer"][:160].replace("\n", " ") + ("…" if len(e["answer"]) > 160 else ""))
    print(f"{e['id']}  [{e['kind']}] {e['question']}")
    if ans:
        print(f"      answer: {ans}")
    if full and e["follow_ups"]:
        print(f"      follow-ups: {e['follow_ups']}")

ap = argparse.ArgumentParser()
ap.add_argument("text", nargs="?")
ap.add_argument("--id")
ap.add_argument("--show", nargs="+")
ap.add_argument("-n", type=int, default=25)
ap.add_argument("--questions-only", action="store_true")
a = ap.parse_args()
if a.show:
    for i in a.show:
        e = BY_ID.get(i)
        print(f"!! unknown id {i}") if e is None else show(e, full=True)
        print()
    sys.exit()
text = a.text or ""
if a.id:
    e = BY_ID[a.id]
    text = e["question"]
qw = words(text)
ranked = sorted(range(N), key=lambda i: -score(qw, i, a.questions_only))[: a.n]
for i in ranked:
    show(ENTRIES[i])
