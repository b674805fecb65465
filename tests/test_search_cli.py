"""`qbank search`: the single-query output and the batch JSON-lines contract used by evaluation.

Contract (issue 3): `qbank search --batch IN.jsonl --json [-k K]` writes one JSON line per input
line, in order: {"query", "found", "results": [{"id", "file", "number", "question", "section",
"score"}]}; a rejected line gets exactly {"query", "error"} and the batch goes on. The model
loads once per process.

The fast tests point the CLI at a HashingEmbedder index (QBANK_EMBEDDER=hashing-test); the slow
ones run the real model in a separate process, one of them without any network.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index.embedder as embedder_module
from index.embedder import HashingEmbedder, load_embedder
from retrieval.searcher import Searcher
from ui.cli import main

REPO = Path(__file__).resolve().parent.parent
RESULT_KEYS = {"id", "file", "number", "question", "section", "score"}
BANK_004 = "004_f893e8b67a7e5340.txt"
TEACHER = "What is teacher forcing in training?"

GOOD = {"query": TEACHER}
FOLLOW_UP = {
    "query": "why is it used?",
    "history": [{"role": "user", "content": TEACHER}, {"role": "assistant", "content": "It feeds the true token."}],
}
# (input line, expected "query" echo of its error line)
BAD_LINES = [
    ('{"query": "what is dropout"', '{"query": "what is dropout"'),  # invalid JSON
    ('{"query": ""}', ""),  # empty query
    ('{"query": "   \\u200b  "}', "   \u200b  "),  # whitespace and zero-width only
    ('{"query": "?!?"}', "?!?"),  # symbols only
    ('{"history": []}', '{"history": []}'),  # no query
    ('{"query": 42}', '{"query": 42}'),  # query not a string
    ('["what is dropout"]', '["what is dropout"]'),  # not an object
    ("", ""),  # blank line
    ('{"query": "why?", "history": "what is dropout"}', "why?"),  # history not a list
    ('{"query": "why?", "history": ["what is dropout"]}', "why?"),  # turns not objects
    ('{"query": "why?", "history": [{"role": "user"}]}', "why?"),  # turn without content
    ('{"query": "why?", "history": [{"role": "robot", "content": "hi"}]}', "why?"),  # unknown role
    ('{"query": "why?", "history": [{"role": "user", "content": 7}]}', "why?"),  # content not text
]


@pytest.fixture
def hashing_cli(hashing_index_dir, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(hashing_index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    return hashing_index_dir


def batch_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_result_line(data: dict, query: str, k: int, searcher: Searcher | None = None) -> None:
    assert set(data) == {"query", "found", "results"}
    assert data["query"] == query
    assert type(data["found"]) is bool
    assert isinstance(data["results"], list) and len(data["results"]) <= k
    for result in data["results"]:
        assert set(result) == RESULT_KEYS
        for key in ("id", "file", "number", "question", "section"):
            assert type(result[key]) is str, key
        assert type(result["score"]) is float and 0 < result["score"] <= 1
        assert re.fullmatch(r"\d+(\.\d+)*", result["number"]), result["number"]
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", result["file"]), result["file"]
        if searcher is not None:
            entry = searcher.entry(result["id"])
            assert (result["file"], result["number"], result["question"], result["section"]) == (
                entry.bank_file,
                entry.number,
                entry.question,
                entry.section,
            )
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


def assert_error_line(data: dict, query: str) -> None:
    assert set(data) == {"query", "error"}
    assert data["query"] == query
    assert isinstance(data["error"], str) and data["error"]


def test_batch_contract(hashing_cli, hashing_searcher, tmp_path, capsys):
    lines = [json.dumps(GOOD)] + [line for line, _ in BAD_LINES] + [json.dumps(FOLLOW_UP)]
    code, out, err = run_cli(capsys, "search", "--batch", str(batch_file(tmp_path, lines)), "--json", "-k", "3")
    assert code == 0 and err == ""
    assert out.endswith("\n")
    output = out.split("\n")[:-1]
    assert len(output) == len(lines), "one output line per input line"
    parsed = [json.loads(line) for line in output]

    assert_result_line(parsed[0], TEACHER, 3, hashing_searcher)
    assert parsed[0]["found"] is True and len(parsed[0]["results"]) == 3
    assert parsed[0]["results"][0]["question"] == TEACHER
    for data, (_, echo) in zip(parsed[1:-1], BAD_LINES, strict=True):
        assert_error_line(data, echo)
    # The batch went on after all those bad lines, and used the history.
    assert_result_line(parsed[-1], "why is it used?", 3, hashing_searcher)
    assert "teacher forcing" in parsed[-1]["results"][0]["question"].lower()


def test_batch_error_messages_say_what_is_wrong(hashing_cli, tmp_path, capsys):
    lines = ['{"query": "x"', '{"query": ""}', '{"query": "?!?"}', '{"nope": 1}', '{"query": "why?", "history": 3}']
    _, out, _ = run_cli(capsys, "search", "--batch", str(batch_file(tmp_path, lines)), "--json")
    errors = [json.loads(line)["error"] for line in out.splitlines()]
    assert errors == [
        "the line is not valid JSON",
        "the query is empty: type a question or a concept to look up",
        "the query has no words in it, only symbols: type a question or a concept",
        'the line has no "query" string',
        '"history" must be a list of {"role": "user" or "assistant", "content": text} objects',
    ]


def test_batch_keeps_input_order_and_honours_k_and_bank(hashing_cli, hashing_searcher, tmp_path, capsys):
    queries = [
        "Explain the concept of tokenization.",
        "What is BPE (Byte Pair Encoding)?",
        "What is perplexity in language modeling?",
    ]
    path = batch_file(tmp_path, [json.dumps({"query": q}) for q in queries])
    _, out, _ = run_cli(capsys, "search", "--batch", str(path), "--json", "-k", "2", "--bank", BANK_004)
    parsed = [json.loads(line) for line in out.splitlines()]
    assert [p["query"] for p in parsed] == queries
    for data, query in zip(parsed, queries, strict=True):
        assert_result_line(data, query, 2, hashing_searcher)
        assert len(data["results"]) == 2
        assert {r["file"] for r in data["results"]} == {BANK_004}


def test_batch_results_match_the_searcher(hashing_cli, hashing_searcher, tmp_path, capsys):
    path = batch_file(tmp_path, [json.dumps(GOOD), json.dumps(FOLLOW_UP)])
    _, out, _ = run_cli(capsys, "search", "--batch", str(path), "--json", "-k", "5")
    first, second = (json.loads(line) for line in out.splitlines())
    expected = hashing_searcher.search(TEACHER, k=5)
    assert [r["id"] for r in first["results"]] == [h.entry.id for h in expected.hits]
    assert [r["score"] for r in first["results"]] == [h.score for h in expected.hits]
    assert first["found"] is expected.found
    followed = hashing_searcher.search(FOLLOW_UP["query"], history=FOLLOW_UP["history"], k=5)
    assert [r["id"] for r in second["results"]] == [h.entry.id for h in followed.hits]


def test_batch_reads_stdin(hashing_cli, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(GOOD) + "\n" + "not json\n"))
    code, out, _ = run_cli(capsys, "search", "--batch", "-", "--json", "-k", "1")
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 0
    assert_result_line(first, TEACHER, 1)
    assert_error_line(second, "not json")


def test_an_empty_batch_writes_nothing(hashing_cli, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "search", "--batch", str(batch_file(tmp_path, [])), "--json")
    assert code == 0 and out == ""


def test_the_model_and_index_load_once_per_process(hashing_cli, tmp_path, capsys, monkeypatch):
    opened = []
    original_open = Searcher.open

    def counting_open(cls, *args, **kwargs):
        opened.append(args)
        return original_open(*args, **kwargs)

    made = []

    def counting_factory():
        made.append(1)
        return HashingEmbedder()

    monkeypatch.setattr(Searcher, "open", classmethod(counting_open))
    monkeypatch.setitem(embedder_module._FACTORIES, HashingEmbedder.name, counting_factory)
    load_embedder.cache_clear()
    try:
        path = batch_file(tmp_path, [json.dumps(GOOD)] * 5 + [json.dumps(FOLLOW_UP)] * 3)
        run_cli(capsys, "search", "--batch", str(path), "--json", "-k", "2")
        assert len(opened) == 1, "one searcher for the whole batch"
        assert made == [1], "the embedder is made once"
        run_cli(capsys, "search", "--batch", str(path), "--json", "-k", "2")
        run_cli(capsys, "search", TEACHER, "--json")
        assert made == [1], "and reused by later commands of the same process"
    finally:
        load_embedder.cache_clear()


def test_single_query_json(hashing_cli, hashing_searcher, capsys):
    code, out, _ = run_cli(capsys, "search", "What", "is", "teacher", "forcing", "in", "training?", "--json", "-k", "4")
    assert code == 0
    data = json.loads(out)
    assert_result_line(data, TEACHER, 4, hashing_searcher)
    assert data["results"][0]["question"] == TEACHER


def test_single_query_text(hashing_cli, capsys):
    code, out, _ = run_cli(capsys, "search", "transfomer architecure", "-k", "2")
    assert code == 0
    assert out.startswith("note: also searched with spelling fixes: transfomer → transformer")
    assert re.search(r"^ 1\. \[\d\.\d\d\] .*Transformer", out, re.MULTILINE | re.IGNORECASE)
    assert re.search(r"^ 2\. \[", out, re.MULTILINE) and not re.search(r"^ 3\. ", out, re.MULTILINE)


def test_single_query_errors_exit_2(hashing_cli, capsys):
    code, out, err = run_cli(capsys, "search", "   ")
    assert code == 2 and out == "" and "qbank: the query is empty" in err
    code, _, err = run_cli(capsys, "search")
    assert code == 2 and "give a QUERY or --batch" in err
    code, _, err = run_cli(capsys, "search", "dropout", "-k", "0")
    assert code == 2 and "k must be at least 1" in err


# --- slow: the real model in its own process ----------------------------------------------------


def qbank_command() -> list[str]:
    script = Path(sys.executable).with_name("qbank")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


def child_env(index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
    env.update(QBANK_INDEX_DIR=str(index_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


@pytest.mark.slow
def test_real_batch_in_a_fresh_process(real_index_dir, real_searcher, tmp_path):
    lines = [
        json.dumps({"query": "what is teacher forcing"}),
        "{broken",
        json.dumps({"query": "how do I bake chocolate chip cookies"}),
        json.dumps(
            {
                "query": "and what about greedy decoding?",
                "history": [{"role": "user", "content": "what is beam search"}],
            }
        ),
        json.dumps({"query": ""}),
    ]
    path = batch_file(tmp_path, lines)
    done = subprocess.run(
        [*qbank_command(), "search", "--batch", str(path), "--json", "-k", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(real_index_dir),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    parsed = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(parsed) == len(lines)
    assert_result_line(parsed[0], "what is teacher forcing", 3, real_searcher)
    assert parsed[0]["found"] and "teacher forcing" in parsed[0]["results"][0]["question"].lower()
    assert_error_line(parsed[1], "{broken")
    assert_result_line(parsed[2], "how do I bake chocolate chip cookies", 3, real_searcher)
    assert parsed[2]["found"] is False
    assert_result_line(parsed[3], "and what about greedy decoding?", 3, real_searcher)
    assert "greedy decoding" in parsed[3]["results"][0]["question"].lower()
    assert_error_line(parsed[4], "")
    # The separate process ranks exactly as this one does.
    expected = real_searcher.search("what is teacher forcing", k=3)
    assert [r["id"] for r in parsed[0]["results"]] == [h.entry.id for h in expected.hits]


@pytest.mark.slow
def test_real_model_loads_once_for_a_whole_batch(real_index_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(real_index_dir))
    monkeypatch.delenv("QBANK_EMBEDDER", raising=False)
    name = embedder_module.configured_embedder_name()
    real_factory = embedder_module._FACTORIES[name]
    made = []

    def counting_factory():
        made.append(1)
        return real_factory()

    monkeypatch.setitem(embedder_module._FACTORIES, name, counting_factory)
    load_embedder.cache_clear()
    try:
        path = batch_file(tmp_path, [json.dumps({"query": q}) for q in ["what is dropout", "what is LoRA", "GQA"]])
        code, out, _ = run_cli(capsys, "search", "--batch", str(path), "--json", "-k", "2")
        assert code == 0 and len(out.splitlines()) == 3
        assert made == [1]
    finally:
        load_embedder.cache_clear()


def network_namespace_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.slow
def test_search_works_with_no_network_at_all(real_index_dir, tmp_path):
    if not network_namespace_available():
        pytest.skip("`unshare -n` is not available here (needs util-linux and root or user namespaces)")
    done = subprocess.run(
        ["unshare", "-n", "--", *qbank_command(), "search", "what is dropout", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(real_index_dir),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert_result_line(data, "what is dropout", 10)
    assert data["found"] is True
    assert "dropout" in data["results"][0]["question"].lower()


@pytest.mark.parametrize("command", ["search", "ask"])
def test_missing_batch_file_is_a_clear_error(hashing_cli, tmp_path, capsys, command):
    missing = tmp_path / "nope.jsonl"
    code, out, err = run_cli(capsys, command, "--batch", str(missing), "--json")
    assert code == 2 and out == ""
    assert err.strip() == f"qbank: cannot read the batch file {missing}: No such file or directory"
