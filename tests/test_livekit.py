"""LiveKit's realtime STT, standalone (no LiveKit server, no room: its stream API fed with audio
frames), unchanged and redirected: believing it talks to api.openai.com, it opens the URL it
opens live (no ``?model=``, which it adds for any other host and a transcription session
refuses) and gets the scripted transcripts from the mock. Nothing leaves the machine."""

from __future__ import annotations

import asyncio

import pytest

from mockrt.core.script import Script, Turn
from mockrt.serve.redirect import mockrt_redirect
from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

from .audio_gen import SAMPLE_RATE, silence, tone

lk_openai = pytest.importorskip("livekit.plugins.openai")
from livekit import rtc  # noqa: E402
from livekit.agents import stt as lk_stt  # noqa: E402
from livekit.agents.utils import http_context  # noqa: E402

LIVE_URL = "wss://api.openai.com/v1/realtime?intent=transcription"
SCRIPT = Script(turns=(Turn(transcript="Hello from the mock."), Turn(transcript="Second turn.")))


def frames(pcm: bytes, ms: int = 20) -> list[rtc.AudioFrame]:
    step = SAMPLE_RATE * ms // 1000 * 2
    return [
        rtc.AudioFrame(pcm[i : i + step], SAMPLE_RATE, 1, len(pcm[i : i + step]) // 2)
        for i in range(0, len(pcm), step)
    ]


async def test_livekit_realtime_stt_sends_the_live_url_and_gets_the_mocks_transcripts() -> None:
    audio = tone(800) + silence(1000) + tone(600) + silence(1000)
    async with MockRealtimeServer.from_options(script=SCRIPT) as server:
        with mockrt_redirect(server, block_network=True) as redirect:
            http_context._new_session_ctx()
            stt = lk_openai.STT(use_realtime=True, api_key=TEST_API_KEY)
            stream = stt.stream()
            for frame in frames(audio):
                stream.push_frame(frame)
            finals: list[str] = []
            async with asyncio.timeout(30):
                async for event in stream:
                    if event.type == lk_stt.SpeechEventType.FINAL_TRANSCRIPT:
                        finals.append(event.alternatives[0].text)
                        if len(finals) == 2:
                            break
            await stream.aclose()
            await stt.aclose()
            await http_context._close_http_ctx()
    # The mock, like live, may complete the two items' transcripts in either order.
    assert sorted(finals) == ["Hello from the mock.", "Second turn."]
    assert [(r.library, r.url) for r in redirect.redirected()] == [("aiohttp", LIVE_URL)]
    assert server.problems() == []  # no rule broken, both scripted turns consumed
    (session,) = server.sessions
    update = session.journal.received("session.update")[0].event
    assert update["session"]["type"] == "transcription"
    assert update["session"]["audio"]["input"]["transcription"]["model"] == (
        "gpt-4o-mini-transcribe"
    )
