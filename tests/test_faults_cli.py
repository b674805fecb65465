"""Issue 10 items 10 and 11 on the command line: a closed pipe, unusable settings, an unknown
--bank, and unexpected errors (a one-line "internal error — details in <log>", the traceback in
the rotating log beside the index)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from answer.llm_settings import LLMConfigError, LLMSettings
from index.embedder import HashingEmbedder
from ui.cli import main

REPO = Path(__file__).resolve().parent.parent
BANK = REPO / "data" / "banks" / "003_8da98e45320d8b09.txt"


@pytest.fixture
def hashing_cli(hashing_index_dir, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(hashing_index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    return hashing_index_dir


@pytest.mark.parametrize("command", ["search", "ask"])
def test_a_reader_that_stops_early_gets_no_broken_pipe_traceback(hashing_index_dir, tmp_path, command):
    batch = tmp_path / "in.jsonl"
    batch.write_text('{"query": "what is dropout"}\n' * 400)
    env = {**os.environ, "QBANK_INDEX_DIR": str(hashing_index_dir), "QBANK_EMBEDDER": HashingEmbedder.name}
    child = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", command, "--batch", str(batch), "-k", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert json.loads(child.stdout.readline())["query"] == "what is dropout"
    child.stdout.close()  # like `| head -n 1`
    err = child.stderr.read().decode()
    assert child.wait(timeout=300) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "lots", "1e999"])
def test_an_unusable_max_bank_size_is_a_one_line_error(monkeypatch, capsys, value):
    monkeypatch.setenv("QBANK_MAX_BANK_MB", value)
    assert main(["ingest", str(BANK)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"qbank: QBANK_MAX_BANK_MB must be a number of megabytes above 0 and at most 100,000 (default 20), "
        f"not {value!r}\n"
    )


def test_a_usable_max_bank_size_still_works(monkeypatch, capsys):
    monkeypatch.setenv("QBANK_MAX_BANK_MB", "0.5")
    assert main(["ingest", str(BANK)]) == 0


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "0", "soon", "1e999", "86401"])
@pytest.mark.parametrize("variable", ["QBANK_LLM_TIMEOUT", "QBANK_LLM_FIRST_TOKEN_TIMEOUT", "QBANK_LLM_DEADLINE"])
def test_an_unusable_llm_timeout_names_the_variable_and_the_range(variable, value):
    with pytest.raises(LLMConfigError) as caught:
        LLMSettings.from_env(environ={"QBANK_LLM_MODEL": "m", variable: value})
    message = str(caught.value)
    assert variable in message and "a number of seconds, positive and at most 86,400" in message
    assert repr(value) in message


def test_a_usable_llm_timeout_is_kept():
    settings = LLMSettings.from_env(environ={"QBANK_LLM_MODEL": "m", "QBANK_LLM_TIMEOUT": "2.5"})
    assert settings is not None and math.isclose(settings.timeout_s, 2.5)


def test_ask_llm_with_an_infinite_timeout_answers_offline_with_one_line(hashing_cli, monkeypatch, capsys):
    monkeypatch.setenv("QBANK_LLM_MODEL", "m")
    monkeypatch.setenv("QBANK_LLM_TIMEOUT", "inf")
    assert main(["ask", "--llm", "--json", "what is dropout"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "QBANK_LLM_TIMEOUT" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["search", "ask"])
def test_an_unknown_bank_lists_the_known_ones(hashing_cli, capsys, command):
    assert main([command, "what is dropout", "--bank", "nosuch.md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qbank: no bank named 'nosuch.md' in the index; known banks: 000_4976b01af1e11b90.txt, ")
    assert err.count("\n") == 1


def test_a_known_bank_still_filters(hashing_cli, capsys):
    assert main(["search", "what is dropout", "--json", "--bank", BANK.name]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and {r["file"] for r in results} == {BANK.name}


def test_an_unexpected_error_is_one_line_and_its_traceback_is_in_the_log(hashing_cli, monkeypatch, capsys):
    import ui.cli

    def broken():
        raise ZeroDivisionError("a bug deep inside")

    monkeypatch.setattr(ui.cli, "_open_searcher", broken)
    log = hashing_cli.parent / "logs" / "qbank.log"
    assert main(["search", "what is dropout"]) == 1
    err = capsys.readouterr().err
    assert err == f"qbank: internal error (ZeroDivisionError) — details in {log}\n"
    text = log.read_text(encoding="utf-8")
    assert "unexpected error in qbank search" in text
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError: a bug deep inside" in text


def test_modules_that_can_fail_log_to_the_same_file(tmp_path, monkeypatch, capsys):
    """A bank that breaks the parser is reported on the terminal and logged with its traceback."""
    import ingest.corpus as corpus

    monkeypatch.setenv("QBANK_INDEX_DIR", str(tmp_path / "data" / "index"))

    def explode(_text):
        raise ZeroDivisionError("parser bug")

    monkeypatch.setattr(corpus, "parse_markdown", explode)
    assert main(["ingest", str(BANK)]) == 1
    assert "internal error ZeroDivisionError" in capsys.readouterr().out
    text = (tmp_path / "data" / "logs" / "qbank.log").read_text(encoding="utf-8")
    assert f"unexpected error while ingesting {BANK}" in text and "ZeroDivisionError: parser bug" in text


def test_an_unwritable_log_folder_falls_back_to_the_temporary_folder(tmp_path, monkeypatch, capsys):
    import tempfile

    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("QBANK_INDEX_DIR", str(blocker / "index"))
    import ui.cli

    def broken():
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ui.cli, "_open_searcher", broken)
    assert main(["search", "what is dropout"]) == 1
    fallback = Path(tempfile.gettempdir()) / "qbank-logs" / "qbank.log"
    assert capsys.readouterr().err == f"qbank: internal error (ZeroDivisionError) — details in {fallback}\n"
    assert "ZeroDivisionError: a bug" in fallback.read_text(encoding="utf-8")


def test_filters_that_exclude_everything_say_so(hashing_cli, capsys):
    # The bank without answers, answered questions only: nothing is left to search.
    assert main(["search", "what is dropout", "--bank", BANK.name, "--answered-only"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qbank: The filters --bank/--section/--answered-only (banks 003_8da98e45320d8b09.txt; ")
    assert "exclude every entry" in err and err.count("\n") == 1
