"""Acceptance tests of ingest over the five shipped banks in data/banks/.

Every expected count here is derived in the test from the raw bytes of the bank files with
grep-like regexes over whole lines (never from the parser's own output), and every pinned entry
is compared with the raw lines it was written on. Bank 002 is UTF-8 that was once decoded as
Mac Roman; the tests undo that independently of ingest.text_repair by round-tripping the whole
file through the mac_roman codec.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.corpus import IngestResult, ingest_paths
from ingest.entry import Entry, EntryKind
from ingest.reader import read_bank_text
from ingest.text_repair import find_mojibake, repair_mojibake

BANK_DIR = Path(__file__).resolve().parent.parent / "data" / "banks"
FILES = {
    "000": "000_4976b01af1e11b90.txt",
    "001": "001_accef8ba4d48adff.txt",
    "002": "002_2452c354e5d17cd9.txt",
    "003": "003_8da98e45320d8b09.txt",
    "004": "004_f893e8b67a7e5340.txt",
}
QA, QUESTION_ONLY, SCENARIO = EntryKind.QA, EntryKind.QUESTION_ONLY, EntryKind.SCENARIO

# Substrings that only appear in mojibake: Mac Roman forms of ’ and of emoji / variation
# selectors (‚Äô, üî, Ô∏, U+F8FF for byte 0xF0), cp1252/Latin-1 forms (Ã, â€).
MOJIBAKE_MARKERS = ("‚Äô", "Ã", "â€", "üî", "Ô∏", "\uf8ff")


# -- raw text, read without ingest -------------------------------------------------------------


def raw_text(bank: str) -> str:
    return (BANK_DIR / FILES[bank]).read_bytes().decode("utf-8")


def clean_lines(bank: str) -> list[str]:
    """The bank's lines as they should read; 002 is un-mangled by a whole-file Mac Roman round trip."""
    text = raw_text(bank)
    if bank == "002":
        text = text.encode("mac_roman").decode("utf-8")
    return text.split("\n")


def grep(bank: str, pattern: str) -> list[tuple[int, re.Match[str]]]:
    """(1-based line number, match) for every line of the bank that matches pattern."""
    regex = re.compile(pattern)
    return [(n, m) for n, line in enumerate(clean_lines(bank), start=1) if (m := regex.match(line))]


def body(bank: str, first: int, last: int, prefix: str = "") -> str:
    """Lines first..last (1-based, inclusive) joined, with a leading marker such as `**Answer:** ` cut."""
    text = "\n".join(clean_lines(bank)[first - 1 : last])
    assert text.startswith(prefix), text[:80]
    return text[len(prefix) :]


def expected_id(bank: str, number: str, question: str, parent_number: str = "") -> str:
    # The documented id scheme (ingest/corpus.py::_entry_id): file, number, question and parent
    # number, hashed; editing an answer or moving a section must not change it.
    material = "\x1f".join([FILES[bank], number, question, parent_number])
    return f"{Path(FILES[bank]).stem}#{number}-{hashlib.sha1(material.encode('utf-8')).hexdigest()[:8]}"


# Entry markers per bank, as (line, number, question text) — the independent view of each bank.
HEADING_Q = r"^### (\d+)\. (.+)$"  # 000, 004: `### N. Question`
BOLD_Q = r"^\*\*(\d+)\. (.+)\*\*$"  # 001: `**N. Question**`
LIST_BOLD_Q = r"^(\d+)\. \*\*(.+)\*\*$"  # 002 part 1: `N. **Question**`
FOLLOW_UP_HEADING_Q = r"^### (?:🔹 )?\*\*(\d+)\. (.+)\*\*$"  # 002 parts 2-4: `### 🔹 **N. Q**` / `### **N. Q**`
PLAIN_LIST_Q = r"^(\d+)\. (.+)$"  # 003: `N. Question`
SCENARIO_Q = r"^\*\*Scenario Question (\d+)\.(\d+):\*\* (.+)$"  # 004
SCENARIO_A = r"^\*\*Scenario Answer (\d+)\.(\d+):\*\* (.+)$"  # 004

MARKERS = {
    "000": [HEADING_Q],
    "001": [BOLD_Q],
    "002": [LIST_BOLD_Q, FOLLOW_UP_HEADING_Q],
    "003": [PLAIN_LIST_Q],
    "004": [HEADING_Q],
}


def numbered_markers(bank: str) -> list[tuple[int, str, str]]:
    """Every top-level numbered question of the bank in file order: (line, number, question)."""
    found = [(n, m.group(1), m.group(2)) for pattern in MARKERS[bank] for n, m in grep(bank, pattern)]
    return sorted(found)


@pytest.fixture(scope="module")
def result() -> IngestResult:
    return ingest_paths([BANK_DIR])


def entries_of(result: IngestResult, bank: str) -> list[Entry]:
    return [e for e in result.entries if e.bank_file == FILES[bank]]


def one(result: IngestResult, bank: str, number: str, line: int) -> Entry:
    """The entry of `bank` numbered `number` that has a location starting on `line`."""
    hits = [
        e for e in entries_of(result, bank) if e.number == number and any(loc.line_start == line for loc in e.locations)
    ]
    assert len(hits) == 1, (bank, number, line, hits)
    return hits[0]


# -- 1. exact counts, derived from the raw files --------------------------------------------------


def expected_counts() -> dict[str, Counter]:
    counts: dict[str, Counter] = {}

    # 000: 320 `### N. Question` headings, each followed by an `**Answer:**` line (so all qa).
    # The same 100-question guide appears twice byte for byte, so distinct entries = distinct
    # (heading + body up to the next `#` heading or `---` rule) blocks.
    lines = clean_lines("000")
    headings = [n for n, _ in grep("000", HEADING_Q)]
    assert all(lines[n].startswith("**Answer:**") for n in headings)  # lines[n] is line n + 1
    blocks = set()
    for n in headings:
        end = n
        while end < len(lines) and not re.match(r"^(#|---)", lines[end]):
            end += 1
        blocks.add("\n".join(lines[n - 1 : end]).rstrip())
    counts["000"] = Counter({QA: len(blocks)})

    # 001: `**N. Question**` lines, each directly followed by a bullet or a code fence (all qa).
    lines = clean_lines("001")
    bold = grep("001", BOLD_Q)
    assert all(lines[n].startswith(("- ", "```")) for n, _ in bold)
    counts["001"] = Counter({QA: len(bold)})

    # 002: numbered list items of bold questions + `### 🔹 **N.**` + `### **N.**` headings; the
    # bank has no `**Answer:**` at all, so every one is question_only.
    assert not grep("002", r"^\*\*Answer")
    counts["002"] = Counter({QUESTION_ONLY: len(grep("002", LIST_BOLD_Q)) + len(grep("002", FOLLOW_UP_HEADING_Q))})

    # 003: plain `N. Question` list lines (section titles are `## N. Title` headings, not matched).
    counts["003"] = Counter({QUESTION_ONLY: len(grep("003", PLAIN_LIST_Q))})

    # 004: `### N. Question` headings, each with an `**Answer:**` line, plus one scenario child
    # per `**Scenario Question N.M:**` line.
    lines = clean_lines("004")
    headings = grep("004", HEADING_Q)
    assert all(lines[n].startswith("**Answer:**") for n, _ in headings)
    counts["004"] = Counter({QA: len(headings), SCENARIO: len(grep("004", SCENARIO_Q))})
    return counts


def test_entries_per_bank_and_kind_match_counts_from_the_raw_files(result: IngestResult) -> None:
    expected = expected_counts()
    for bank in FILES:
        assert Counter(e.kind for e in entries_of(result, bank)) == expected[bank], bank
        report = next(r for r in result.reports if r.file == FILES[bank])
        assert report.error is None
        assert report.by_kind == {kind.value: n for kind, n in expected[bank].items()}, bank
    assert len(result.entries) == sum(sum(c.values()) for c in expected.values())
    assert result.failed == ()


def test_the_counts_are_the_ones_the_issue_states() -> None:
    # A guard that the regexes above really see what the banks hold (issue: 1217 entries).
    expected = expected_counts()
    assert {bank: dict(c) for bank, c in expected.items()} == {
        "000": {QA: 220},
        "001": {QA: 545},
        "002": {QUESTION_ONLY: 118},
        "003": {QUESTION_ONLY: 110},
        "004": {QA: 200, SCENARIO: 24},
    }


def test_duplicated_guide_is_two_identical_line_ranges_collapsed_once(result: IngestResult) -> None:
    lines = clean_lines("000")
    # Each copy of the guide opens with this subtitle and ends at `## Additional Resources`.
    starts = [n for n, _ in grep("000", r"^## For 2-6 Years Experience Professionals$")]
    ends = [n for n, _ in grep("000", r"^## Additional Resources$")]
    assert len(starts) == len(ends) == 2
    copies = []
    for start, end in zip(starts, ends, strict=True):
        first_q = next(n for n, _ in grep("000", HEADING_Q) if n > start)
        copies.append((first_q, end - 1))
    (a_first, a_last), (b_first, b_last) = copies
    assert lines[a_first - 1 : a_last] == lines[b_first - 1 : b_last]  # byte for byte
    in_copy = [sum(1 for n, _ in grep("000", HEADING_Q) if lo <= n <= hi) for lo, hi in copies]
    assert in_copy[0] == in_copy[1]

    report = next(r for r in result.reports if r.file == FILES["000"])
    assert report.duplicates_collapsed == in_copy[0]
    twice = [e for e in entries_of(result, "000") if len(e.locations) > 1]
    assert len(twice) == in_copy[0]
    offset = b_first - a_first
    for entry in twice:
        first, second = entry.locations
        assert a_first <= first.line_start <= first.line_end <= a_last
        assert (second.line_start, second.line_end) == (first.line_start + offset, first.line_end + offset)
        assert (entry.line_start, entry.line_end) == (first.line_start, first.line_end)
    for bank in ("001", "002", "003", "004"):
        assert next(r for r in result.reports if r.file == FILES[bank]).duplicates_collapsed == 0
        assert all(len(e.locations) == 1 for e in entries_of(result, bank))


def test_every_numbered_marker_is_exactly_one_entry_location(result: IngestResult) -> None:
    """Each raw `N. Question` marker, and nothing else, became an entry (or a duplicate's location)."""
    for bank in FILES:
        got = sorted(
            (loc.line_start, e.number, e.question)
            for e in entries_of(result, bank)
            if e.kind is not SCENARIO
            for loc in e.locations
        )
        assert got == numbered_markers(bank), bank


def test_scenarios_match_their_raw_question_and_answer_lines(result: IngestResult) -> None:
    questions = {f"{m.group(1)}.{m.group(2)}": (n, m.group(3)) for n, m in grep("004", SCENARIO_Q)}
    answers = {f"{m.group(1)}.{m.group(2)}": (n, m.group(3)) for n, m in grep("004", SCENARIO_A)}
    assert questions.keys() == answers.keys()
    parents = {e.number: e for e in entries_of(result, "004") if e.kind is QA}
    scenarios = {e.number: e for e in entries_of(result, "004") if e.kind is SCENARIO}
    assert scenarios.keys() == questions.keys()
    for number, entry in scenarios.items():
        q_line, question = questions[number]
        a_line, answer = answers[number]
        assert (entry.question, entry.answer) == (question, answer)
        assert (entry.line_start, entry.line_end) == (q_line, a_line)
        parent = parents[number.split(".")[0]]
        assert entry.parent_id == parent.id
        assert parent.line_start < entry.line_start <= entry.line_end == parent.line_end
        assert entry.section_path == parent.section_path
        # The parent's answer stops before its scenario.
        assert "Scenario" not in parent.answer
    assert all(e.parent_id is None for e in result.entries if e.kind is not SCENARIO)


def test_follow_ups_match_the_raw_bullets(result: IngestResult) -> None:
    lines = clean_lines("002")
    markers = [n for n, _ in grep("002", r"^\*\*Follow-ups:\*\*$")]
    with_follow_ups = [e for e in entries_of(result, "002") if e.follow_ups]
    assert len(with_follow_ups) == len(markers)
    for entry, marker in zip(with_follow_ups, markers, strict=True):
        bullets = []
        n = marker  # lines[n] is the line after the marker
        while n < len(lines) and lines[n].startswith("- "):
            bullets.append(lines[n][2:])
            n += 1
        assert entry.follow_ups == tuple(bullets)
        assert entry.line_end == n  # the last bullet
    # Every bullet in the bank is a follow-up.
    assert sum(len(e.follow_ups) for e in result.entries) == len(grep("002", r"^- "))


def test_every_id_follows_the_documented_scheme(result: IngestResult) -> None:
    by_id = {e.id: e for e in result.entries}
    assert len(by_id) == len(result.entries)
    bank_of = {name: key for key, name in FILES.items()}
    for entry in result.entries:
        parent_number = by_id[entry.parent_id].number if entry.parent_id else ""
        assert entry.id == expected_id(bank_of[entry.bank_file], entry.number, entry.question, parent_number)


# -- 2. the first and last entry of every numbered list, and other tricky entries ----------------

# Every run of entry numbers that starts again at 1 is a separate list. Derived by hand from the
# raw files (line numbers checked with `grep -n`): (first line, last line, first and last number).
LISTS = {
    "000": [(24, 437, "1", "120"), (473, 1225, "1", "100"), (1272, 2024, "1", "100")],
    "001": [(30, 3884, "1", "545")],
    "002": [(3, 57, "1", "30"), (62, 152, "1", "10"), (164, 298, "1", "18"), (310, 841, "1", "60")],
    "003": [(8, 182, "1", "110")],  # numbering continues across all 15 sections
    "004": [(21, 857, "1", "200")],
}


def test_numbered_lists_are_the_ones_pinned() -> None:
    for bank, lists in LISTS.items():
        runs: list[list[tuple[int, str, str]]] = []
        for marker in numbered_markers(bank):
            if marker[1] == "1" or not runs:
                runs.append([])
            runs[-1].append(marker)
        assert [(r[0][0], r[-1][0], r[0][1], r[-1][1]) for r in runs] == lists, bank
        # Within a list the numbers count up one at a time.
        for run in runs:
            assert [int(number) for _, number, _ in run] == list(range(1, len(run) + 1))


def check(
    entry: Entry,
    *,
    bank: str,
    number: str,
    question: str,
    answer: str = "",
    follow_ups: tuple[str, ...] = (),
    kind: EntryKind,
    lines: tuple[int, int],
    section: tuple[str, ...],
    parent: Entry | None = None,
    locations: list[tuple[int, int]] | None = None,
) -> None:
    assert entry.bank_file == FILES[bank]
    assert entry.number == number
    assert entry.question == question
    assert entry.answer == answer
    assert entry.follow_ups == follow_ups
    assert entry.kind is kind
    assert (entry.line_start, entry.line_end) == lines
    assert entry.section_path == section
    assert entry.parent_id == (parent.id if parent else None)
    assert [(loc.line_start, loc.line_end) for loc in entry.locations] == (locations or [lines])
    assert entry.id == expected_id(bank, number, question, parent.number if parent else "")
    assert entry.token_count > 0


def test_bank_000_first_and_last_of_each_list(result: IngestResult) -> None:
    check(
        one(result, "000", "1", 24),
        bank="000",
        number="1",
        question="What is the difference between discriminative and generative models?",
        answer="Discriminative models learn P(y|x) to classify/predict. Generative models learn P(x,y) or P(x) "
        "to generate new data samples.",
        kind=QA,
        lines=(24, 25),
        section=("Foundational AI/ML for GenAI",),
    )
    check(
        one(result, "000", "120", 437),
        bank="000",
        number="120",
        question="Explain the future directions and open problems in GenAI research.",
        answer=body("000", 438, 438, "**Answer:** "),
        kind=QA,
        lines=(437, 438),
        section=("Advanced Research Topics",),
    )


def test_bank_000_duplicated_guide_entries_have_both_locations(result: IngestResult) -> None:
    guide = "GenAI, ML & Deep Learning Interview Guide"
    first = one(result, "000", "1", 473)
    assert first is one(result, "000", "1", 1272)
    check(
        first,
        bank="000",
        number="1",
        question="What is Generative AI and how does it differ from traditional AI?",
        answer=body("000", 474, 474, "**Answer:** "),
        kind=QA,
        lines=(473, 474),
        section=(guide, "Generative AI", "Fundamentals & Architecture"),
        locations=[(473, 474), (1272, 1273)],
    )
    # The second copy has no `### Fundamentals & Architecture` subheading above its first question.
    assert first.locations[1].section_path == (guide, "Generative AI")
    assert first.locations[0].section_path == first.section_path

    last = one(result, "000", "100", 1225)
    assert last is one(result, "000", "100", 2024)
    check(
        last,
        bank="000",
        number="100",
        question="How do you ensure reproducibility in deep learning experiments?",
        answer=body("000", 1227, 1232),  # `**Answer:**` stands alone on 1226; six bullets follow
        kind=QA,
        lines=(1225, 1232),
        section=(guide, "Deep Learning"),
        locations=[(1225, 1232), (2024, 2031)],
    )
    assert last.answer.startswith("- **Random seeds**: Set seeds")
    assert last.answer.endswith("- **Results tracking**: Use tools like MLflow, Weights & Biases")


def test_bank_000_lists_that_are_not_questions_are_not_entries(result: IngestResult) -> None:
    questions = {e.question for e in entries_of(result, "000")}
    # Table-of-contents links and the "Practical Tips for Interviews" list (1. **Understand ...**).
    assert not any(q.startswith(("[", "Understand fundamentals", "Practice coding")) for q in questions)


def test_bank_001_first_and_last(result: IngestResult) -> None:
    check(
        one(result, "001", "1", 30),
        bank="001",
        number="1",
        question="What is the difference between probability and likelihood?",
        answer=body("001", 31, 33),
        kind=QA,
        lines=(30, 33),
        section=("Fundamentals & Statistics", "Basic Probability & Statistics"),
    )
    last = one(result, "001", "545", 3884)
    check(
        last,
        bank="001",
        number="545",
        question="Why has Attention become dominant despite alternatives?",
        answer=body("001", 3885, 3890),
        kind=QA,
        lines=(3884, 3890),
        section=("Attention Mechanisms Deep Dive", "Attention vs Alternatives"),
    )
    assert last.answer.splitlines()[0] == "- **Expressiveness**: Captures arbitrary dependencies"
    assert last.answer.splitlines()[-1] == "- Alternatives may complement, not replace, attention"


def test_bank_001_code_block_entry_is_intact(result: IngestResult) -> None:
    entry = one(result, "001", "500", 3550)
    code = "\n".join(
        [
            "```python",
            "# MHA: Separate K,V per head",
            "K = [K_1, K_2, ..., K_h]  # h different K matrices",
            "V = [V_1, V_2, ..., V_h]  # h different V matrices",
            "",
            "# MQA: Single shared K,V",
            "K = K_shared  # 1 K matrix for all heads",
            "V = V_shared  # 1 V matrix for all heads",
            "",
            "# GQA: K,V shared within groups",
            "K = [K_1, K_1, ..., K_1, K_2, K_2, ..., K_G]  # Repeated per group",
            "V = [V_1, V_1, ..., V_1, V_2, V_2, ..., V_G]  # G total K,V pairs",
            "```",
        ]
    )
    assert code == body("001", 3551, 3563)  # the pin above is the file's own text
    check(
        entry,
        bank="001",
        number="500",
        question="What is the implementation difference between MHA, MQA, and GQA?",
        answer=code,
        kind=QA,
        lines=(3550, 3563),
        section=("Attention Mechanisms Deep Dive", "Grouped-Query Attention (GQA)"),
    )
    # The `# MHA:` lines look like headings but sit in the fence: no section was made of them.
    sections = {s for e in result.entries for s in e.section_path}
    assert not any(s.startswith(("MHA:", "MQA:", "GQA:")) for s in sections)
    assert one(result, "001", "501", 3567).section_path[-1] == "Flash Attention"


def test_bank_002_numbered_list_of_bold_questions(result: IngestResult) -> None:
    check(
        one(result, "002", "1", 3),
        bank="002",
        number="1",
        question="Can you explain the bias-variance tradeoff in your own words, and how it affects model performance?",
        kind=QUESTION_ONLY,
        lines=(3, 3),
        section=("Deep Learning / ML Fundamentals",),
    )
    check(
        one(result, "002", "30", 57),
        bank="002",
        number="30",
        question="How would you explain backpropagation to a high schooler?",
        kind=QUESTION_ONLY,
        lines=(57, 57),
        section=("Bonus Curveballs (for fun and creativity)",),
    )


def test_bank_002_repaired_mojibake_entry(result: IngestResult) -> None:
    # Line 4 is `2. **What‚Äôs your understanding ...` in the file; line 1 (its section) is
    # `### \uf8ffüîç **Deep Learning / ML Fundamentals**`, a mangled 🔍 that must not survive.
    raw = raw_text("002").split("\n")
    assert "What‚Äôs your understanding" in raw[3]
    assert raw[0].startswith("### \uf8ffüîç **")
    check(
        one(result, "002", "2", 4),
        bank="002",
        number="2",
        question="What’s your understanding of overfitting and underfitting? "
        "How do you detect and handle them in practice?",
        kind=QUESTION_ONLY,
        lines=(4, 4),
        section=("Deep Learning / ML Fundamentals",),
    )
    report = next(r for r in result.reports if r.file == FILES["002"])
    assert report.repaired_mojibake
    assert not any(r.repaired_mojibake for r in result.reports if r.file != FILES["002"])
    # No title: the bank has no `# ` heading, so its number and first heading name it.
    assert {e.bank_title for e in entries_of(result, "002")} == {"Bank 002 — Deep Learning / ML Fundamentals"}
    assert report.title == "Bank 002 — Deep Learning / ML Fundamentals"


def test_bank_002_entries_with_follow_ups(result: IngestResult) -> None:
    # 🔹 list (the bank gives it no heading of its own, so it stays under the last one above; a
    # same-level heading cannot be read as a sibling, since bank 000 nests `### 1.` under `### Fundamentals`).
    check(
        one(result, "002", "1", 62),
        bank="002",
        number="1",
        question="Explain the bias-variance tradeoff.",
        follow_ups=(
            "How does model complexity relate to bias and variance?",
            "Can you give an example of a model with high bias? High variance?",
            "How would you identify this tradeoff in practice (e.g., in training/validation curves)?",
            "What techniques can help balance this tradeoff?",
        ),
        kind=QUESTION_ONLY,
        lines=(62, 68),
        section=("Bonus Curveballs (for fun and creativity)",),
    )
    check(
        one(result, "002", "10", 152),
        bank="002",
        number="10",
        question="Can you explain model distillation? Why and when would you use it?",
        follow_ups=(
            "How does the student model learn from the teacher?",
            "What kind of loss functions are used in distillation?",
            "What’s the benefit in real-world applications (e.g., mobile deployment)?",  # repaired ’
            "Can you distill from an ensemble? How?",
        ),
        kind=QUESTION_ONLY,
        lines=(152, 158),
        section=("Bonus Curveballs (for fun and creativity)",),
    )
    # `### **N.**` list under `## 🔹 ...` topic headings.
    check(
        one(result, "002", "1", 164),
        bank="002",
        number="1",
        question="What are the assumptions behind linear regression?",
        follow_ups=(
            "What happens if the assumptions are violated?",
            "How do you test for multicollinearity?",
            "How does regularization (like Ridge or Lasso) help here?",
        ),
        kind=QUESTION_ONLY,
        lines=(164, 168),
        section=("Core Machine Learning",),
    )
    check(
        one(result, "002", "18", 298),
        bank="002",
        number="18",
        question="What tradeoffs do you consider when choosing a model?",
        follow_ups=(
            "Accuracy vs interpretability?",
            "Latency vs complexity?",
            "Explain how you'd handle this in a medical or real-time system.",
        ),
        kind=QUESTION_ONLY,
        lines=(298, 302),
        section=("Ethical & Practical Thinking",),
    )
    # The 60-question list with a blank line before each `**Follow-ups:**`.
    check(
        one(result, "002", "1", 310),
        bank="002",
        number="1",
        question="What is the difference between supervised, unsupervised, and semi-supervised learning?",
        follow_ups=(
            "Can you give real-world examples of each?",
            "How does the performance and data requirement differ across them?",
            "Where would self-supervised learning fit?",
        ),
        kind=QUESTION_ONLY,
        lines=(310, 315),
        section=("Core Machine Learning Questions (With Follow-Ups)",),
    )
    check(
        one(result, "002", "60", 841),
        bank="002",
        number="60",
        question="What is model calibration and why is it important?",
        follow_ups=(
            "How do you measure calibration?",
            "What’s the difference between sharpness and calibration?",
            "Can you name techniques to calibrate models (e.g., Platt scaling, isotonic regression)?",
        ),
        kind=QUESTION_ONLY,
        lines=(841, 846),
        section=("Core Machine Learning Questions (With Follow-Ups)",),
    )


def test_bank_003_first_and_last_and_numbered_sections(result: IngestResult) -> None:
    check(
        one(result, "003", "1", 8),
        bank="003",
        number="1",
        question="What is the difference between Artificial Intelligence, Machine Learning, and Deep Learning?",
        kind=QUESTION_ONLY,
        lines=(8, 8),
        section=("1. AI, ML, DL Fundamentals",),
    )
    check(
        one(result, "003", "110", 182),
        bank="003",
        number="110",
        question="How would you monitor model performance post-deployment?",
        kind=QUESTION_ONLY,
        lines=(182, 182),
        section=("PROJECT-BASED & SYSTEM DESIGN QUESTIONS", "15. Project-Based & System Design Questions"),
    )
    # `## N. Title` headings (15 of them) title sections; none became an entry.
    titles = {m.group(1) for _, m in grep("003", r"^## (\d+\. .+)$")}
    assert len(titles) == 15
    assert titles == {e.section_path[-1] for e in entries_of(result, "003")}
    assert not titles & {f"{e.number}. {e.question}" for e in entries_of(result, "003")}
    # A `# WEEK N – ...` heading (with an en dash) opens a top-level section.
    assert one(result, "003", "41", 74).section_path == (
        "WEEK 2 – Autoencoders & Variational Autoencoders (VAEs)",
        "7. Autoencoders",
    )


def test_bank_004_first_and_last_with_scenarios(result: IngestResult) -> None:
    first = one(result, "004", "1", 21)
    check(
        first,
        bank="004",
        number="1",
        question="What is Generative AI?",
        answer=body("004", 22, 26, "**Answer:** "),  # three paragraphs, up to the scenario
        kind=QA,
        lines=(21, 30),
        section=("Fundamentals and Basics",),
    )
    assert first.answer.startswith("Generative AI is a subset of artificial intelligence")
    assert first.answer.endswith("accessible to developers and end-users alike.")
    assert first.answer.count("\n\n") == 2
    check(
        one(result, "004", "1.1", 28),
        bank="004",
        number="1.1",
        question=body("004", 28, 28, "**Scenario Question 1.1:** "),
        answer=body("004", 30, 30, "**Scenario Answer 1.1:** "),
        kind=SCENARIO,
        lines=(28, 30),
        section=("Fundamentals and Basics",),
        parent=first,
    )
    assert one(result, "004", "1.1", 28).question.startswith("A marketing team wants to generate product")

    last = one(result, "004", "200", 857)
    check(
        last,
        bank="004",
        number="200",
        question="What is the future of generative AI?",
        answer=body("004", 858, 862, "**Answer:** "),
        kind=QA,
        lines=(857, 866),
        section=("Advanced Topics (121-200)",),
    )
    check(
        one(result, "004", "200.1", 864),
        bank="004",
        number="200.1",
        question="You're planning a generative AI product roadmap for the next 3 years. What capabilities "
        "should you prioritize?",
        answer=body("004", 866, 866, "**Scenario Answer 200.1:** "),
        kind=SCENARIO,
        lines=(864, 866),
        section=("Advanced Topics (121-200)",),
        parent=last,
    )


def test_bank_titles(result: IngestResult) -> None:
    # The first `# ` heading of a bank, read straight from the file.
    for bank in ("000", "001", "003", "004"):
        title = clean_lines(bank)[0].removeprefix("# ")
        assert {e.bank_title for e in entries_of(result, bank)} == {title}


# -- 3. no mojibake anywhere ----------------------------------------------------------------------


def test_no_entry_field_contains_mojibake(result: IngestResult) -> None:
    dirty = []
    for entry in result.entries:
        fields = [entry.question, entry.answer, *entry.follow_ups, *entry.section_path, entry.bank_title]
        fields += [s for loc in entry.locations for s in loc.section_path]
        for text in fields:
            if find_mojibake(text) or any(marker in text for marker in MOJIBAKE_MARKERS):
                dirty.append((entry.id, text[:80]))
    assert dirty == []


def test_the_mojibake_check_would_catch_bank_002_unrepaired() -> None:
    # Guard against a vacuous scan: the raw file is full of the markers and find_mojibake sees them.
    raw = raw_text("002")
    assert all(marker in raw for marker in ("‚Äô", "üî", "Ô∏", "\uf8ff"))
    assert len(find_mojibake(raw)) > 50


def test_repair_leaves_clean_banks_byte_identical() -> None:
    for bank in ("000", "001", "003", "004"):
        text = read_bank_text(BANK_DIR / FILES[bank])
        assert text == raw_text(bank)
        assert not text.isascii()  # they do carry real Unicode (×, ², →, “ ”, —, θ ...)
        assert repair_mojibake(text) == text, bank
        assert find_mojibake(text) == [], bank


def test_repair_of_bank_002_equals_an_independent_mac_roman_round_trip() -> None:
    text = read_bank_text(BANK_DIR / FILES["002"])
    repaired = repair_mojibake(text)
    assert repaired == "\n".join(clean_lines("002"))
    assert find_mojibake(repaired) == []
    assert not any(marker in repaired for marker in MOJIBAKE_MARKERS)
    assert "🔹" in repaired and "’" in repaired
