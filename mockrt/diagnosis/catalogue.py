"""The catalogue of explanations: for every rule, what it means, the likely cause and the fix.

Pure data. ``EXPLANATIONS`` has an entry for every ``mockrt.core.errors.Rule`` (a test checks) and
for the connection-level refusals ``mockrt diagnose`` records; ``BETA_TABLE`` says where each beta
field went in GA; ``EXAMPLES`` are the runnable examples the fixes point to. Specialising a text
for a client is ``mockrt.diagnosis.explanations``' job. Must never import aiohttp, websockets or
asyncio, nor any other diagnosis module.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from mockrt.core.errors import Rule

__all__ = [
    "BETA_TABLE",
    "EXAMPLES",
    "EXPLANATIONS",
    "EX_AGENTS_STT",
    "EX_OPENAI_SDK",
    "EX_RAW",
    "Explanation",
    "indent_block",
]

EX_AGENTS_STT = "examples/agents_voice_stt.py"
EX_OPENAI_SDK = "examples/openai_sdk_transcription.py"
EX_RAW = "examples/raw_websockets.py"
EXAMPLES = (EX_AGENTS_STT, EX_OPENAI_SDK, EX_RAW)


def indent_block(text: str, prefix: str = "    ") -> str:
    """``text`` with every line indented: a code block inside prose."""
    return textwrap.indent(text, prefix)


@dataclass(frozen=True)
class Explanation:
    """The reusable part of a problem: a title, the likely cause, the fix."""

    title: str
    why: str
    fix: str
    see: tuple[str, ...] = ()


# --- the texts --------------------------------------------------------------------------------

_GA_UPDATE = """\
{"type": "session.update",
 "session": {"type": "transcription",
             "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                 "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                                 "turn_detection": {"type": "server_vad"}}}}}"""

# protocol.md §3: where each beta field went in GA.
BETA_TABLE = """\
Beta -> GA:
  transcription_session.update    -> session.update with session.type "transcription"
  input_audio_format "pcm16"      -> audio.input.format {"type": "audio/pcm", "rate": 24000}
  input_audio_format "g711_ulaw"  -> audio.input.format {"type": "audio/pcmu"}
  input_audio_format "g711_alaw"  -> audio.input.format {"type": "audio/pcma"}
  input_audio_transcription       -> audio.input.transcription
  input_audio_noise_reduction     -> audio.input.noise_reduction
  turn_detection                  -> audio.input.turn_detection
  modalities, client_secret       -> drop (client secrets: POST /v1/realtime/client_secrets)
  header OpenAI-Beta: realtime=v1 -> drop it
  client.beta.realtime.connect()  -> client.realtime.connect(
                                     extra_query={"intent": "transcription"})"""


EXPLANATIONS: dict[str, Explanation] = {
    Rule.REALTIME_UPDATE_ON_TRANSCRIPTION: Explanation(
        "A conversation (realtime) session.update was sent to a transcription session",
        "The socket is a transcription session: it was opened with ?intent=transcription, or with "
        'an ephemeral key minted for session type "transcription". Such a session accepts only '
        'session.update events whose session has type "transcription" and keeps its settings '
        "under session.audio.input. This update was shaped for a conversation session "
        '(type "realtime", or fields such as model, instructions, tools, voice, '
        "output_modalities, tracing), so the server rejected it and kept the old settings.",
        "Send a transcription update instead, and none of the conversation fields:\n\n"
        + indent_block(_GA_UPDATE)
        + "\n\nThe transcription model goes in session.audio.input.transcription.model, never "
        "in session.model or the URL. If you wanted a spoken conversation, connect without "
        "?intent=transcription.",
        (EX_OPENAI_SDK, EX_RAW, EX_AGENTS_STT),
    ),
    Rule.TRANSCRIPTION_UPDATE_ON_REALTIME: Explanation(
        "A transcription session.update was sent to a conversation session",
        "The socket is a conversation (realtime) session: the URL had ?model=... or no "
        "intent, or the ephemeral key was minted for a realtime session. A transcription "
        "session only comes from ?intent=transcription (with no model in the URL), or from a "
        'key minted for session type "transcription".',
        "Connect to wss://api.openai.com/v1/realtime?intent=transcription, without model=. "
        'With the openai SDK: client.realtime.connect(extra_query={"intent": "transcription"}) '
        "and no model argument. The Agents SDK's OpenAISTTModel does this for you.",
        (EX_OPENAI_SDK, EX_AGENTS_STT),
    ),
    Rule.INVALID_JSON: Explanation(
        "A frame was not valid JSON",
        "Every client event is one JSON object in one WebSocket text frame. This frame could "
        "not be parsed: often a Python repr (single quotes, True/None) instead of json.dumps, "
        "or a message split or joined across frames.",
        "Send json.dumps(event) per event; one event per frame.",
    ),
    Rule.BINARY_FRAME: Explanation(
        "A binary WebSocket frame was sent",
        "The Realtime API takes only JSON text frames. Raw audio bytes are not accepted; audio "
        "travels base64-encoded inside input_audio_buffer.append events.",
        'ws.send(json.dumps({"type": "input_audio_buffer.append", '
        '"audio": base64.b64encode(pcm).decode("ascii")}))',
        (EX_RAW,),
    ),
    Rule.NOT_AN_OBJECT: Explanation(
        "A frame was JSON but not an object",
        "Each frame must be a single event object with a type. Arrays (batches), strings or "
        "numbers are rejected.",
        'Send each event as its own object: {"type": "...", ...}.',
    ),
    Rule.UNKNOWN_EVENT_TYPE: Explanation(
        "The event type is unknown",
        "The type field was missing, not a string, or not a client event the API knows; the "
        "error lists the supported ones.",
        "A transcription client needs only: session.update, input_audio_buffer.append, "
        "input_audio_buffer.commit, input_audio_buffer.clear. Check the spelling; beta names "
        "moved (transcription_session.update -> session.update).",
    ),
    Rule.UNSUPPORTED_IN_TRANSCRIPTION: Explanation(
        "A conversation-only event was sent to a transcription session",
        "Transcription sessions never generate model responses, so response.create, "
        "response.cancel and conversation.item.* have nothing to act on. "
        "transcription_session.update is the retired beta configuration event.",
        "Remove these events. Transcripts arrive on their own after each commit (or each turn "
        "the server's VAD detects) as conversation.item.input_audio_transcription.delta and "
        '.completed. Configure with session.update (session.type "transcription").',
        (EX_OPENAI_SDK,),
    ),
    Rule.UNKNOWN_PARAMETER: Explanation(
        "A field the API does not know",
        "The GA API rejects unknown fields; the error's param is the dotted path. Usual causes: "
        "beta field names (input_audio_format, input_audio_transcription, "
        "input_audio_noise_reduction, session.turn_detection at the top level), conversation "
        'fields inside a type "transcription" session (tools, voice, instructions), or a '
        "field at the wrong level.",
        "Rename or move the field to its GA place (transcription settings live under "
        "session.audio.input: format, transcription, turn_detection, noise_reduction), or "
        "remove it.",
        (EX_RAW,),
    ),
    Rule.MISSING_PARAMETER: Explanation(
        "A required field is missing",
        'GA session.update needs session.type ("transcription" here); turn_detection objects '
        "need their type; every event needs its type. Beta clients never sent session.type.",
        'Add the field the error names, e.g. "session": {"type": "transcription", ...}.',
        (EX_RAW,),
    ),
    Rule.INVALID_VALUE: Explanation(
        "A field has a value the API does not accept",
        "The error lists the supported values. Common cases: a realtime or chat model as the "
        'transcription model, a beta value such as "pcm16" for a GA field, a misspelled enum '
        "(eagerness, noise_reduction type, include).",
        "Use one of the values the error lists. Transcription models: gpt-4o-transcribe, "
        "gpt-4o-mini-transcribe, gpt-transcribe, gpt-live-transcribe, gpt-realtime-whisper, "
        'whisper-1. Audio format: {"type": "audio/pcm", "rate": 24000} (or audio/pcmu, '
        "audio/pcma).",
    ),
    Rule.INVALID_TYPE: Explanation(
        "A field has the wrong JSON type",
        "For example a string where an object is expected (the beta input_audio_format "
        '"pcm16" where GA expects audio.input.format {"type": "audio/pcm", "rate": 24000}), or '
        "a number sent as a string.",
        "Send the JSON type the error names.",
    ),
    Rule.OUT_OF_RANGE: Explanation(
        "A number is outside its allowed range",
        "turn_detection.threshold is 0.0-1.0; durations are >= 0; audio/pcm rate is always "
        "24000; client secrets expire after 10-7200 s.",
        "Use a value inside the range the error states.",
    ),
    Rule.MODEL_RULE: Explanation(
        "A setting the chosen transcription model does not support",
        "gpt-live-transcribe and gpt-realtime-whisper have no server VAD (turn_detection must "
        "be null, and you commit each segment yourself); gpt-realtime-whisper takes no prompt; "
        "languages is for gpt-transcribe and gpt-live-transcribe only, and never together "
        "with language.",
        'Set "turn_detection": null for those models and send input_audio_buffer.commit when a '
        "segment ends, or pick a model that supports the setting (gpt-4o-transcribe has "
        "server_vad).",
    ),
    Rule.COMMIT_EMPTY: Explanation(
        "input_audio_buffer.commit with less than 100 ms of new audio",
        "A commit must cover at least 100 ms of audio appended since the previous commit or "
        "clear (4,800 bytes of 24 kHz 16-bit PCM). Usual causes: committing before appending; "
        "committing twice; server VAD already committed the turn (with turn_detection on, the "
        "server commits at each speech_stopped, so a manual commit right after finds the buffer "
        "empty); audio appended before session.updated; audio in the wrong format or rate.",
        "Commit only after >= 100 ms of new audio. With turn_detection on, let the server "
        'commit (or treat this error code as harmless for a final "flush" commit, as the '
        'Agents SDK does). With "turn_detection": null, commit once per utterance.',
        (EX_OPENAI_SDK,),
    ),
    Rule.INVALID_AUDIO: Explanation(
        "The audio of an append could not be used",
        "input_audio_buffer.append.audio must be base64 of raw audio in the session format: "
        "16-bit little-endian mono PCM at 24 kHz for audio/pcm (an even number of bytes), "
        "8-bit G.711 for audio/pcmu and audio/pcma. No WAV header, no float32 samples.",
        'audio = base64.b64encode(pcm16_bytes).decode("ascii"); convert float32 with '
        "(np.clip(x, -1, 1) * 32767).astype('<i2').tobytes(); resample to 24 kHz first.",
        (EX_RAW,),
    ),
    Rule.AUDIO_TOO_LARGE: Explanation(
        "One append carried more than 15 MiB of audio",
        "A single input_audio_buffer.append may carry up to 15 MiB of audio.",
        "Stream audio in chunks of 20-100 ms (960-4,800 bytes at 24 kHz) as it is captured.",
    ),
    Rule.BETA_SHAPE: Explanation(
        "The retired Realtime beta API was requested",
        "The Realtime beta API is shut down. Its shapes are refused with "
        "beta_api_shape_disabled: the OpenAI-Beta: realtime=v1 header or the "
        "openai-beta.realtime-v1 browser subprotocol (the socket is then closed with code "
        "4000), and beta events such as transcription_session.update. Old SDK versions and "
        "code written for the beta send them.",
        BETA_TABLE + "\n\nUpgrade the client library, or remove the header in your code.",
        (EX_OPENAI_SDK, EX_RAW),
    ),
    Rule.MODEL_WITH_INTENT: Explanation(
        "A model was given in the URL of a transcription session",
        "?intent=transcription and ?model= cannot be combined: the transcription model is a "
        "session setting, not part of the URL. The server refuses the connection (an error "
        "with invalid_model, then close 4000).",
        "Connect to /v1/realtime?intent=transcription with no model=, then send session.update "
        "with session.audio.input.transcription.model. openai SDK: client.realtime.connect("
        'extra_query={"intent": "transcription"}) without model=. LiveKit adds model= when its '
        "base_url is not api.openai.com (for gateways); point it at api.openai.com.",
        (EX_OPENAI_SDK,),
    ),
    Rule.SESSION_EXPIRED: Explanation(
        "The session reached its maximum duration",
        "A realtime session lasts at most 60 minutes; then the server sends session_expired "
        "and closes the socket.",
        "Open a new connection before the limit (or on this error), send your session.update "
        "again and continue streaming; keep turns you need to finish on the old socket until "
        "their transcripts arrive.",
    ),
    Rule.SERVER_ERROR: Explanation(
        "The server failed while handling a client event",
        "A server_error is the server's fault, not the client's: the live API sends it rarely "
        "and the session usually stays open. The mock sends it when a script injects it, or "
        "when mockrt itself hits a bug (its log then has the traceback: please report it).",
        "Treat server_error as retryable: log it, and resend the event or reconnect if the "
        "socket closed.",
    ),
    "http-unauthorized": Explanation(
        "The connection was refused: missing or wrong API key (HTTP 401)",
        "The Realtime API wants Authorization: Bearer sk-... (or an ek_... ephemeral key that "
        "has not expired). Browsers pass it as the subprotocol openai-insecure-api-key.KEY.",
        "Pass the key the SDK way (OPENAI_API_KEY) or set the Authorization header yourself. "
        "mockrt diagnose sets OPENAI_API_KEY to a dummy sk- key when yours is not an sk- key.",
    ),
    "http-not-found": Explanation(
        "A request went to a path the Realtime API does not have",
        "The WebSocket endpoint is /v1/realtime (with ?intent=transcription); ephemeral keys "
        "come from POST /v1/realtime/client_secrets. /v1/realtime/transcription_sessions and "
        "/v1/realtime/sessions were the beta REST endpoints and are gone; the live API answers "
        "a WebSocket to /v1/realtime/transcription... with 403.",
        "Use wss://api.openai.com/v1/realtime?intent=transcription and POST "
        "/v1/realtime/client_secrets.",
    ),
    "http-bad-request": Explanation(
        "The connection or request was refused as invalid (HTTP 400)",
        "The query string or the request body is not valid (for example ?intent= with another "
        "value than transcription, or a client_secrets body with unknown fields).",
        "Read the error message; connect with ?intent=transcription only.",
    ),
    "unclassified-error": Explanation(
        "The server sent an error",
        "This error matches none of the rules the diagnosis knows.",
        "Read the message; if the client event looks right, report the capture to mockrt.",
    ),
}
