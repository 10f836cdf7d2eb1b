"""How far the mock's error texts are the live API's: for the person reading, never the wire.

``message_status`` finds the status (``mockrt.core.errors.Status``) of a text the catalogue
``MESSAGES`` produces, ``status_note`` words it for a report or a page, and ``not_verbatim_table``
is the table of docs/error-texts.md (tests/test_error_texts.py keeps the two equal). Must never
import aiohttp or websockets.
"""

from __future__ import annotations

import re

from mockrt.core.errors import MESSAGES, Message, Status

__all__ = ["message_status", "not_verbatim_table", "pattern", "status_note"]


def pattern(message: Message) -> re.Pattern[str]:
    """A regex that matches every text ``message`` can produce."""
    parts = re.split(r"\{[^{}]*\}", message.text)
    return re.compile("(?s)" + ".+?".join(re.escape(p) for p in parts) + "$")


def message_status(text: str) -> Status | None:
    """The status of the catalogue message that produces ``text``, or None when no message of
    the catalogue does (a scripted error, a live capture)."""
    found = [m.status for m in MESSAGES.values() if pattern(m).match(text)]
    # where texts of different statuses look alike, the least certain one is reported
    for status in (Status.INVENTED, Status.UNCONFIRMED, Status.VERBATIM):
        if status in found:
            return status
    return None


def not_verbatim_table() -> str:
    """The Markdown table of every message whose text is not VERBATIM, with its reason."""
    lines = ["| Name | Status | Code | Text | Why |", "|---|---|---|---|---|"]
    for name, m in MESSAGES.items():
        if m.status is Status.VERBATIM:
            continue
        cells = [f"`{name}`", m.status.name, f"`{m.code}`", m.text, m.source]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def status_note(status: Status | str | None) -> str:
    """What a person is told about an error text: "" for a VERBATIM one, else a short note."""
    if status is None or Status(status) is Status.VERBATIM:
        return ""
    if Status(status) is Status.INVENTED:
        return "the mock's text for this error is INVENTED (the live wording is unknown)"
    return "the mock's text for this error is UNCONFIRMED (not seen word for word live)"
