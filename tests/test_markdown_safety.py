"""The parser-based sanitizer (textkit.markdown_safety) on the tricky-markdown corpus and on random input.

Every case is sanitized, rendered to HTML by a CommonMark + GFM-table renderer with raw HTML
*enabled*, and the HTML must hold nothing that loads or runs: no <img>/<script>/<iframe>…, no src=,
no on…= handlers, no link that is not http(s)/mailto. What a reader should still see stays visible.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_corpus import commonmark_html, dangers, load_corpus, visible_text

from textkit.markdown_safety import escape_text, safe_markdown, safe_url

CASES = load_corpus()


def test_the_corpus_is_big_enough_and_unique():
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)


def test_the_corpus_is_dangerous_unsanitized():
    """The check below can fail: most cases render something that loads or runs when not sanitized."""
    risky = [c["name"] for c in CASES if dangers(commonmark_html(c["markdown"]))]
    assert len(risky) >= 30, risky
    assert "issue-escaped-backtick-image" in risky and "issue-fence-info-backtick" in risky


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_sanitized_case_renders_inert(case):
    safe = safe_markdown(case["markdown"])
    html = commonmark_html(safe)
    assert dangers(html) == [], (safe, html)
    shown = visible_text(html)
    for text in case["shows"]:
        assert text in shown, (text, safe, html)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_sanitizing_twice_renders_the_same(case):
    """The output holds only constructs the sanitizer writes: sanitizing it again changes nothing visible."""
    once = safe_markdown(case["markdown"])
    assert commonmark_html(safe_markdown(once)) == commonmark_html(once)


def test_images_become_links_to_click():
    out = safe_markdown("See ![diagram](https://example.com/d.png) here.")
    html = commonmark_html(out)
    assert '<a href="https://example.com/d.png">diagram</a>' in html
    assert "image: " in visible_text(html) and "<img" not in html


def test_structure_is_kept():
    text = (
        "## Heading\n\n**Answer**: use `x < y` and ~~old~~.\n\n- one\n- two\n  - nested\n\n3. three\n4. four\n\n"
        "> quoted\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nprint('<b>')\n```\n\n[paper](https://arxiv.org/abs/1)"
    )
    html = commonmark_html(safe_markdown(text))
    for part in (
        "<h2>Heading</h2>",
        "<strong>Answer</strong>",
        "<code>x &lt; y</code>",
        "<s>old</s>",
        "<li>nested</li>",
        '<ol start="3">',
        "<blockquote>",
        '<th style="text-align:left">a</th>',
        '<td style="text-align:right">2</td>',
        "<code class=\"language-python\">print('&lt;b&gt;')\n</code>",
        '<a href="https://arxiv.org/abs/1">paper</a>',
    ):
        assert part in html, (part, html)
    assert commonmark_html(safe_markdown(text)) == commonmark_html(safe_markdown(safe_markdown(text)))


def test_raw_html_and_entities_show_as_text():
    html = commonmark_html(safe_markdown("a <b>bold</b> &amp; &lt;i&gt; &copy;"))
    assert visible_text(html).strip() == "a <b>bold</b> & <i> ©"


def test_links_keep_text_and_lose_unsafe_targets():
    html = commonmark_html(safe_markdown("[a](javascript:x) [b](/relative) [c](#frag) [d](https://ok.example/p)"))
    assert visible_text(html).strip() == "[a](javascript:x) b c d"  # not a link to markdown-it: shown as typed
    assert html.count("<a ") == 1 and 'href="https://ok.example/p"' in html


def test_safe_url():
    assert safe_url("https://x.example/a") == "https://x.example/a"
    assert safe_url("mailto:a@b.example") == "mailto:a@b.example"
    for bad in ("javascript:alert(1)", "data:image/png;base64,AA", "http:///nohost", "/relative", "vbscript:x", ""):
        assert safe_url(bad) is None, bad


def test_escape_text_is_literal():
    text = "<img src=x> ![a](b) `c` *d* _e_ [f]: g | h & i \\ j $k$ :red[l]"
    assert visible_text(commonmark_html(escape_text(text))).strip() == text


MARKDOWN_BITS = st.sampled_from(
    [
        "!", "[", "]", "(", ")", "<", ">", "`", "```", "~~~", "\\", "*", "_", "|", "&", "#", ";", ":", '"',
        "\n", "\n\n", "    ", "- ", "1. ", "> ", "---", "img", "src=", "http://h/x.png", "javascript:", "&#33;",
        "&lt;", "<img src=http://h/i.png>", "<script>", "![a](http://h/a.png)", "[r]: http://h/r.png", "![r]",
        "| a | b |\n|---|---|\n", "a", " ", "\r", "\t", "~~", "<http://h/a>", "&#x21;", "[^1]", "```x`", "\\`",
        "<!--", "-->", "<div>", "1) ", "===",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(MARKDOWN_BITS, max_size=30).map("".join))
def test_random_markdown_renders_inert(text):
    assert dangers(commonmark_html(safe_markdown(text))) == []


def test_very_long_text_is_shown_literally_and_quickly():
    import time

    from textkit.markdown_safety import MAX_PARSED_CHARS

    text = "![x](http://h/i.png) <img src=http://h/j.png>\n" + "[" * (10 * MAX_PARSED_CHARS)
    started = time.perf_counter()
    out = safe_markdown(text)
    assert time.perf_counter() - started < 2
    html = commonmark_html(out)
    assert dangers(html) == []
    assert visible_text(html).startswith("![x](http://h/i.png) <img src=http://h/j.png>")


def test_every_real_bank_answer_renders_exactly_as_before():
    """Sanitizing loses nothing a reader sees in the shipped banks (none has images or raw HTML)."""
    from markdown_it import MarkdownIt

    from ingest.corpus import ingest_paths

    renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    entries = ingest_paths([Path(__file__).resolve().parent.parent / "data" / "banks"]).entries
    assert len(entries) > 1000
    changed = [e.id for e in entries if renderer.render(safe_markdown(e.answer)) != renderer.render(e.answer)]
    assert changed == []


@settings(max_examples=300, deadline=None)
@given(st.lists(MARKDOWN_BITS, max_size=30).map("".join))
def test_random_markdown_is_stable_when_sanitized_again(text):
    once = safe_markdown(text)
    assert commonmark_html(safe_markdown(once)) == commonmark_html(once)
