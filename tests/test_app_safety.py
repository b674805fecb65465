"""Bank and user text reach Streamlit's markdown renderer inert: no HTML, no remote images."""

from __future__ import annotations

import re

import pytest
from app_testing import renders_raw_html, unescape

from ui.app_safety import label, plain, safe_markdown, shorten

INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=https://evil.example></iframe>",
    "![tracker](https://evil.example/pixel.png)",
    ":red[colour] **bold** `code` [link](javascript:alert(1))",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_plain_escapes_everything(text):
    escaped = plain(text)
    assert not renders_raw_html(escaped)
    # Every markdown-significant character is escaped, so the text renders literally.
    assert re.sub(r"\\(.)", r"\1", escaped) == text
    assert "![" not in escaped


def test_plain_keeps_line_breaks():
    assert plain("a\nb") == "a  \nb"


def test_label_is_one_shortened_line():
    text = "What is <b>KV</b> caching?\n" + "x" * 300
    result = label(text, 40)
    assert "\n" not in result
    assert result.endswith("…")
    assert not renders_raw_html(result)


def test_shorten():
    assert shorten("  a   b  ") == "a b"
    assert shorten("abcdef", 4) == "abc…"


def test_remote_images_become_links():
    out = safe_markdown("See ![diagram](https://example.com/d.png) here.")
    assert "![" not in out
    assert "https://example.com/d.png" in out  # still reachable by a click, not fetched on render
    assert "image: [diagram](https://example.com/d.png)" in out


def test_reference_images_are_neutralized():
    out = safe_markdown("![logo][1]\n\n[1]: https://example.com/logo.png")
    assert "![" not in out


@pytest.mark.parametrize("text", INJECTIONS)
def test_safe_markdown_has_no_raw_html_or_images(text):
    out = safe_markdown(text)
    assert not renders_raw_html(out)
    assert not re.search(r"(?<!\\)!\[", out)
    assert "](javascript:" not in out


def test_markdown_structure_is_kept():
    text = "**Answer**: use `x < y`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    out = safe_markdown(text)
    assert "**Answer**" in out and "`x < y`" in out  # code spans untouched
    assert "- one\n- two" in out
    assert "| a | b |" in out and "| 1 | 2 |" in out


def test_code_blocks_are_untouched():
    code = "```python\nif a < b:\n    print('<b>![x](http://h/i.png)</b>')\n```"
    out = safe_markdown("Example:\n\n" + code + "\n\nAfter <b>tag</b>.")
    assert code in out
    assert not renders_raw_html(out.replace(code, ""))
    assert unescape(out).endswith("After <b>tag</b>.")


def test_unclosed_fence_keeps_the_rest_as_code():
    text = "```\n<img src=x>\n"
    assert safe_markdown(text) == text + "```"  # closed, so nothing glued after it can escape the code


def test_http_links_are_kept():
    out = safe_markdown("Read [the paper](https://arxiv.org/abs/1706.03762).")
    assert "[the paper](https://arxiv.org/abs/1706.03762)" in out
