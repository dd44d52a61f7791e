"""Any text in a subject or a recipient's name stays inside its header (no header injection).

Hypothesis feeds arbitrary Unicode, weighted towards line breaks, controls and header-looking
text, into an outbox row; the message Django would send is parsed back as an SMTP server would.
"""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header
from email.utils import getaddresses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.email import build_email, one_line
from notifications.models import Notification

# Everything a mail parser or a header folder might treat specially.
_TRICKY = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\u2028",
        "\u2029",
        "\x85",
        "\x0b",
        "\x0c",
        "\x00",
        "Bcc: spy@evil.example",
        "\r\nBcc: spy@evil.example",
        "=?utf-8?q?=0D=0ABcc:_x@evil.example?=",
        '"',
        ",",
        "<x@evil.example>",
        ";",
        ":",
        "ä",
        "\t",
        " ",
    ]
)
header_text = st.lists(st.one_of(st.text(max_size=30), _TRICKY), max_size=12).map("".join)

EXPECTED_HEADERS = {
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "Content-Language",
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=header_text, name=header_text)
def test_arbitrary_subject_and_name_never_inject_a_header(subject: str, name: str) -> None:
    row = Notification(
        pk=7,
        recipient="anna@gemeinde.example",
        recipient_name=name,
        kind="test",
        dedup_key="security:headers",
        subject=subject,
        body_text="Text",
        language="de",
    )
    message = build_email(row)
    # The SMTP envelope: exactly the row's address, whatever the name contains.
    assert [address for _, address in getaddresses(message.recipients())] == [
        "anna@gemeinde.example"
    ]
    raw = message.message().as_bytes(linesep="\r\n")
    head = raw.split(b"\r\n\r\n", 1)[0]
    # Every header line starts a known header or continues the previous one (folding).
    for line in head.split(b"\r\n"):
        assert line[:1] in (b" ", b"\t") or line.split(b":", 1)[0].decode() in EXPECTED_HEADERS
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert set(parsed.keys()) == EXPECTED_HEADERS
    assert all(len(parsed.get_all(header)) == 1 for header in EXPECTED_HEADERS)
    if "=?" not in subject:  # text that looks like an encoded word is decoded by the reader
        unfolded = parsed["Subject"].replace("\r\n", "")  # RFC 5322 unfolding
        assert str(make_header(decode_header(unfolded))).strip() == one_line(subject)
    # The To header names that one address too (unfolded first: RFC 5322 allows folding
    # inside the quoted display name, which the compat32 address parser does not undo).
    addresses = getaddresses([parsed["To"].replace("\r\n", "")])
    assert [address for _, address in addresses] == ["anna@gemeinde.example"]
