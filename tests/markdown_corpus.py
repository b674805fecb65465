"""The tricky-markdown corpus (tests/fixtures/markdown_safety/corpus.jsonl) and what "inert" means.

Each case is {"name", "markdown", "shows"}: `markdown` may use the host LOGGER, which a test replaces
with the address of its loopback request logger; `shows` are texts a reader must still see after
sanitizing (code stays code, raw HTML shows as text).

`dangers(html)` lists what in rendered HTML would fetch or run something: elements that load a
resource or run script, resource attributes, and links that are not http(s)/mailto.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

CORPUS = Path(__file__).resolve().parent / "fixtures" / "markdown_safety" / "corpus.jsonl"
PLACEHOLDER = "LOGGER"

LOADING_TAGS = frozenset(
    "img script iframe frame frameset object embed svg image video audio source track picture link style base "
    "meta form input applet math portal".split()
)
RESOURCE_ATTRIBUTES = frozenset("src srcset poster data background action formaction xlink:href style".split())


def load_corpus(host: str = "127.0.0.1:9") -> list[dict]:
    cases = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for case in cases:
        case["markdown"] = case["markdown"].replace(PLACEHOLDER, host)
    return cases


def commonmark_html(markdown: str) -> str:
    """HTML as a CommonMark + GFM-table renderer with raw HTML *enabled* makes it (the strict case)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in LOADING_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in RESOURCE_ATTRIBUTES or name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name == "href" and not str(value or "").lower().startswith(("http://", "https://", "mailto:")):
                self.found.append(f"{tag}[href={value}]")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.found.append("<!--comment-->")


def dangers(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan.found


def visible_text(html: str) -> str:
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return "".join(scan.text)
