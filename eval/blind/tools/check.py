#!/usr/bin/env python3
"""Validate a query file: python3 tools/check.py out/yourfile.jsonl"""
import json, sys
from pathlib import Path
HERE = Path(__file__).resolve().parent.parent
BY_ID = {json.loads(l)["id"]: json.loads(l) for l in open(HERE / "entries.jsonl", encoding="utf-8")}
STYLES = {"paraphrase", "answer_content", "typo", "keyword", "chatty", "followup", "explain", "compare",
          "multilingual", "out_of_scope"}
bad = 0
seen = set()
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    def err(m):
        global bad; bad += 1; print(f"line {n}: {m}")
    try:
        r = json.loads(line)
    except Exception as exc:
        err(f"not JSON: {exc}"); continue
    for k in ("query", "style", "relevant", "key_terms", "intent"):
        if k not in r: err(f"missing {k}")
    if r.get("style") not in STYLES: err(f"bad style {r.get('style')}")
    if r.get("intent") not in {"lookup", "explain", "compare"}: err("bad intent")
    if r.get("query") in seen: err("duplicate query")
    seen.add(r.get("query"))
    rel = r.get("relevant", [])
    for i in rel:
        if i not in BY_ID: err(f"unknown id {i}")
    if r.get("style") == "out_of_scope":
        if rel: err("out_of_scope must have relevant []")
        if r.get("oos_kind") not in {"near_miss", "name_collision", "everyday"}: err("oos_kind missing/invalid")
        continue
    if not rel: err("in-scope query with no relevant ids")
    if r.get("style") == "followup":
        h = r.get("history")
        if not (isinstance(h, list) and len(h) >= 2 and all(t.get("role") in {"user", "assistant"} for t in h)):
            err("followup needs history [{role:user..},{role:assistant..}]")
    if r.get("style") == "multilingual" and not r.get("lang"): err("multilingual needs lang")
    texts = " ".join((BY_ID[i]["answer"] or BY_ID[i]["question"]) + " " + BY_ID[i]["question"] for i in rel if i in BY_ID).lower()
    for t in r.get("key_terms", []):
        if t.lower() not in texts: err(f"key term {t!r} not in any relevant entry's text")
print(f"{n} lines, {bad} problems")
