"""Post bodies: a safe subset of Markdown rendered to HTML that is then cleaned to an allow-list.

markdown-it-py with raw HTML off turns every tag the author typed into text; nh3 (ammonia) then
removes whatever still is not on the list (no images, no styles, no event handlers, only http,
https and mailto links), so that a bug in one of the two is caught by the other.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# No headings above h3: the page has its h1 and h2 around a post.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_HEADING = re.compile(r"<(/?)h[12]>")
_MENTION = re.compile(r"(?<![\w@/.])@([\w.-]{2,150})")

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable(["table", "strikethrough"])


def render(source: str) -> str:
    """Sanitised HTML for a Markdown `source`."""
    rendered = _parser.render(source)
    # A post's own headings start below the page's: # becomes h3, ## h4.
    rendered = _HEADING.sub(
        lambda m: f"<{m.group(1)}h{3 if m.group(0)[-2] == '1' else 4}>", rendered
    )
    return nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        # Absolute links only: "java%0ascript:…" is a relative URL to a parser, and no post
        # needs a link into this site that is not absolute.
        url_relative="deny",
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
        clean_content_tags={"script", "style"},
    )


def mentioned_names(source: str) -> list[str]:
    """The `@name`s in a post, in order, each once (trailing dots belong to the sentence)."""
    seen: dict[str, None] = {}
    for name in _MENTION.findall(source):
        seen.setdefault(name.rstrip(".-"), None)
    return [name for name in seen if len(name) >= 2]


def excerpt(source: str, limit: int = 300) -> str:
    """Plain text of the start of a post, for e-mails and quotes (not HTML: callers escape)."""
    text = html.unescape(nh3.clean(_parser.render(source), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
