"""Error texts that are not verbatim are visible as such, off the wire (protocol.md §6)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import websockets

from mockrt.core import error_texts, errors
from mockrt.core.errors import MESSAGES, Status
from mockrt.core.journal import read_jsonl
from mockrt.core.session import Session
from mockrt.diagnosis.analysis import diagnose
from mockrt.serve import inspector
from mockrt.serve.testing import MockRealtimeServer

from .conftest import send

DOC = Path(__file__).resolve().parents[1] / "docs" / "error-texts.md"


def test_the_docs_table_lists_every_message_that_is_not_verbatim_as_the_catalogue_has_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = error_texts.not_verbatim_table()
    assert table in text
    rows = [line for line in table.splitlines()[2:]]
    unsure = [n for n, m in MESSAGES.items() if m.status is not Status.VERBATIM]
    assert len(rows) == len(unsure) and unsure
    for name, row in zip(unsure, rows, strict=True):
        assert row.startswith(f"| `{name}` | {MESSAGES[name].status.name} |")
    assert text.count("\n| `") == len(unsure)  # no stale row outside the generated table


def test_every_catalogue_text_is_told_apart_by_its_status() -> None:
    assert error_texts.message_status(errors.invalid_base64().message) is Status.INVENTED
    assert error_texts.message_status(errors.commit_empty(50.0).message) is Status.VERBATIM
    assert error_texts.message_status("a scripted text") is None


def test_an_invented_text_is_marked_in_the_journal_and_by_diagnose_but_not_on_the_wire(
    session: Session,
) -> None:
    (error,) = send(session, {"type": "input_audio_buffer.append", "audio": "!!!!"})
    assert set(error["error"]) == {"type", "code", "message", "param", "event_id"}
    entry = session.journal.sent("error")[-1]
    assert entry.violation is not None and entry.violation.text_status == "invented"
    line = json.loads(entry.to_line())
    assert line["violation"]["text_status"] == "invented"
    assert "text_status" not in line["event"]["error"]
    again = read_jsonl([entry.to_line() for entry in session.journal])
    report = diagnose(again)
    problem = report.sessions[0].problems[0]
    assert problem.text_status == "invented"
    assert "INVENTED" in report.to_text() and "docs/error-texts.md" in report.to_text()


def test_a_verbatim_text_is_not_marked(session: Session) -> None:
    send(session, {"type": "input_audio_buffer.commit"})
    report = diagnose(session.journal)
    text = report.to_text()
    assert report.sessions[0].problems[0].text_status == "verbatim"
    assert "INVENTED" not in text and "UNCONFIRMED" not in text


async def test_the_inspector_marks_an_invented_text() -> None:
    server = MockRealtimeServer()
    inspector.add_routes(server.app)
    async with server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await ws.recv()
            await ws.send("not json")
            await ws.recv()
        session_id = server.sessions[-1].id
        async with (
            aiohttp.ClientSession(headers=server.headers) as http,
            http.get(f"http://127.0.0.1:{server.port}/mockrt/sessions/{session_id}") as resp,
        ):
            page = await resp.text()
    assert "INVENTED" in page
