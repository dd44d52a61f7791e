"""Post bodies: the OWASP XSS filter-evasion cases come out inert; ordinary Markdown survives."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from exchange import markdown

# From the OWASP XSS Filter Evasion Cheat Sheet, in the forms that reach a Markdown renderer.
OWASP_CASES = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;"
    "&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72"
    "&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<iframe src=http://xss.example/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
    'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3'
    "ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm"
    "9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw"
    "IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwv"
    'c3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
    "<a href=\"javascript:alert('XSS')\">klick</a>",
    # The same attacks written as Markdown.
    "[klick](javascript:alert('XSS'))",
    "[klick](JaVaScRiPt:alert('XSS'))",
    "[klick](&#106;avascript:alert('XSS'))",
    "[klick](&#x6A;avascript:alert('XSS'))",
    "[klick](java%0ascript:alert('XSS'))",
    "[klick](vbscript:msgbox('XSS'))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![bild](javascript:alert('XSS'))",
    "![bild](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](https://tracker.example/pixel.png"onerror="alert(1))',
    '[klick](https://ok.example "title" onmouseover=alert(1))',
    "<javascript:alert('XSS')>",
    "[a]: javascript:alert(1)\n\n[klick][a]",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\<script\\>alert(1)\\</script\\>",
]


class _Markup(HTMLParser):
    """The tags and attributes a browser would see (text, escaped or not, is not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _markup(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("source", OWASP_CASES)
def test_owasp_filter_evasion_case_is_inert(source: str) -> None:
    html = markdown.render(source)
    for tag, attrs in _markup(html):
        assert tag in markdown.ALLOWED_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("style", "src"), html
            if name == "href":
                scheme = (value or "").strip().lower()
                assert scheme.startswith(("http://", "https://", "mailto:")), html
    assert "<script" not in html.lower() and "<svg" not in html.lower()


def test_markdown_basics_survive_and_links_get_rel() -> None:
    html = markdown.render(
        "# Titel\n\n**fett** _kursiv_ ~~weg~~\n\n- eins\n- zwei\n\n> Zitat\n\n"
        "[Netzwerk](https://example.org/a?b=1&c=2)\n\n`code`"
    )
    assert "<h3>Titel</h3>" in html
    assert "<strong>fett</strong>" in html and "<em>kursiv</em>" in html
    assert "<s>weg</s>" in html
    assert "<li>eins</li>" in html
    assert "<blockquote>" in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html
    assert "<code>code</code>" in html


def test_raw_html_is_shown_as_text_not_dropped() -> None:
    assert markdown.render("<b>fett</b>") == "<p>&lt;b&gt;fett&lt;/b&gt;</p>\n"


def test_mentions_are_found_once_each_and_e_mail_addresses_are_not_mentions() -> None:
    body = "Hallo @anna.schmidt und @bob-k. Schreibt an info@example.org, @anna.schmidt!"
    assert markdown.mentioned_names(body) == ["anna.schmidt", "bob-k"]


def test_excerpt_is_plain_text() -> None:
    assert markdown.excerpt("**Fett** & <b>x</b>\n\nzweiter Absatz") == (
        "Fett & <b>x</b> zweiter Absatz"
    )
