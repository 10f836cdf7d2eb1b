"""The SDK side of the contract: which openai types stand for which of our documents, and the
docstrings schemas/ quotes from them.

``SDK_UNIONS`` names the SDK's event unions per persona and direction (``openai.types.realtime``
for GA, ``openai.types.beta.realtime`` for beta), ``SDK_REST`` the REST bodies, ``SDK_COMMON`` the
SDK classes behind our shared definitions. ``sdk_descriptions()`` reads the installed SDK's
source with ``ast`` and returns the first paragraph of each docstring, quoted with its source;
``python -m mockrt.contract.sdktypes`` writes them to ``mockrt/data/sdk_descriptions.json``, which
``mockrt.contract.schema`` uses without needing openai. Never imports aiohttp or websockets itself
(``import openai`` loads aiohttp when it is installed; only the tests and ``--against-sdk``
import this module).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any, get_args

from openai.types import realtime as ga_sdk
from openai.types.beta import realtime as beta_sdk

from mockrt.contract import schema
from mockrt.contract.schema import Direction, Persona

__all__ = [
    "DESCRIPTIONS_FILE",
    "SDK_COMMON",
    "SDK_REST",
    "SDK_UNIONS",
    "docstrings",
    "main",
    "sdk_descriptions",
    "sdk_event_types",
]

DESCRIPTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "sdk_descriptions.json"

SDK_UNIONS: dict[tuple[Persona, Direction], Any] = {
    ("ga", "client"): ga_sdk.RealtimeClientEvent,
    ("ga", "server"): ga_sdk.RealtimeServerEvent,
    ("beta", "client"): beta_sdk.RealtimeClientEvent,
    ("beta", "server"): beta_sdk.RealtimeServerEvent,
}

# Our REST document -> (persona, direction, the SDK's type).
SDK_REST: dict[str, tuple[Persona, Direction, Any]] = {
    "ga/rest/client_secrets.request": ("ga", "client", ga_sdk.ClientSecretCreateParams),
    "ga/rest/client_secrets.response": ("ga", "server", ga_sdk.ClientSecretCreateResponse),
    "beta/rest/transcription_sessions.request": (
        "beta",
        "client",
        beta_sdk.TranscriptionSessionCreateParams,
    ),
    "beta/rest/transcription_sessions.response": (
        "beta",
        "server",
        beta_sdk.TranscriptionSession,
    ),
}

_RT = "openai.types.realtime"
_BETA = "openai.types.beta.realtime"
# Our shared definition -> the SDK class it mirrors (module, class), for quoted descriptions.
SDK_COMMON: dict[str, tuple[str, str]] = {
    "common/AudioPCM": (f"{_RT}.realtime_audio_formats", "AudioPCM"),
    "common/AudioPCMA": (f"{_RT}.realtime_audio_formats", "AudioPCMA"),
    "common/AudioPCMU": (f"{_RT}.realtime_audio_formats", "AudioPCMU"),
    "common/AudioTranscription": (f"{_RT}.audio_transcription", "AudioTranscription"),
    "common/BetaInputAudioTranscription": (
        f"{_BETA}.transcription_session_update",
        "SessionInputAudioTranscription",
    ),
    "common/BetaNoiseReduction": (
        f"{_BETA}.transcription_session_update",
        "SessionInputAudioNoiseReduction",
    ),
    "common/BetaTranscriptionSession": (f"{_BETA}.transcription_session", "TranscriptionSession"),
    "common/BetaTranscriptionSessionRequest": (f"{_BETA}.transcription_session_update", "Session"),
    "common/BetaTurnDetection": (f"{_BETA}.transcription_session_update", "SessionTurnDetection"),
    "common/ErrorObject": (f"{_RT}.realtime_error", "RealtimeError"),
    "common/LogProb": (f"{_RT}.log_prob_properties", "LogProbProperties"),
    "common/NoiseReduction": (
        f"{_RT}.realtime_transcription_session_audio_input",
        "NoiseReduction",
    ),
    "common/SemanticVad": (
        f"{_RT}.realtime_transcription_session_audio_input_turn_detection",
        "SemanticVad",
    ),
    "common/ServerVad": (
        f"{_RT}.realtime_transcription_session_audio_input_turn_detection",
        "ServerVad",
    ),
    "common/TranscriptionError": (
        f"{_RT}.conversation_item_input_audio_transcription_failed_event",
        "Error",
    ),
    "common/TranscriptionSession": (
        f"{_RT}.realtime_transcription_session_create_response",
        "RealtimeTranscriptionSessionCreateResponse",
    ),
    "common/TranscriptionSessionAudioInput": (
        f"{_RT}.realtime_transcription_session_audio_input",
        "RealtimeTranscriptionSessionAudioInput",
    ),
    "common/TranscriptionSessionRequest": (
        f"{_RT}.realtime_transcription_session_create_request",
        "RealtimeTranscriptionSessionCreateRequest",
    ),
    "common/UsageDuration": (
        f"{_RT}.conversation_item_input_audio_transcription_completed_event",
        "UsageTranscriptTextUsageDuration",
    ),
    "common/UsageTokens": (
        f"{_RT}.conversation_item_input_audio_transcription_completed_event",
        "UsageTranscriptTextUsageTokens",
    ),
    "common/UserAudioItem": (
        f"{_RT}.realtime_conversation_item_user_message",
        "RealtimeConversationItemUserMessage",
    ),
}


def sdk_event_types(persona: Persona, direction: Direction) -> dict[str, Any]:
    """Event type -> SDK model for the members of one SDK union."""
    members = get_args(get_args(SDK_UNIONS[persona, direction])[0])
    out: dict[str, Any] = {}
    for model in members:
        (value,) = get_args(model.model_fields["type"].annotation)
        out[str(value)] = model
    return out


def _paragraph(text: str) -> str:
    first = re.split(r"\n\s*\n", inspect.cleandoc(text).strip(), maxsplit=1)[0]
    return " ".join(first.split())


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(inspect.getsource(sys.modules[module]))


def docstrings(cls: Any) -> dict[str, str]:
    """``{"": class docstring, field: field docstring}`` of an SDK class, first paragraphs,
    each quoted and followed by its source."""
    importlib.import_module(cls.__module__)
    source = f"{cls.__module__}.{cls.__name__}"
    out: dict[str, str] = {}
    for node in _tree(cls.__module__).body:
        if not (isinstance(node, ast.ClassDef) and node.name == cls.__name__):
            continue
        doc = ast.get_docstring(node)
        if doc:
            out[""] = f'"{_paragraph(doc)}" ({source})'
        for stmt, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
                and _paragraph(after.value.value)
            ):
                out[stmt.target.id] = f'"{_paragraph(after.value.value)}" ({source})'
    return out


def sdk_descriptions() -> dict[str, dict[str, str]]:
    """Quoted SDK docstrings for every document of ours that mirrors an SDK type."""
    classes: dict[str, Any] = {}
    for persona, direction in schema.EVENT_UNIONS:
        theirs = sdk_event_types(persona, direction)
        for event in schema.event_types(persona, direction):
            if event in theirs:
                classes[f"{persona}/{direction}/{event}"] = theirs[event]
    for path, (_, _, sdk) in SDK_REST.items():
        classes[path] = sdk
    for path, (module, name) in SDK_COMMON.items():
        classes[path] = getattr(importlib.import_module(module), name)
    docs = schema.documents()
    return {
        path: docstrings(cls)
        for path, cls in sorted(classes.items())
        if f"{path}.json" in docs and "$ref" not in docs[f"{path}.json"]
    }


def main() -> int:
    """Write ``mockrt/data/sdk_descriptions.json`` from the installed SDK."""
    text = json.dumps(sdk_descriptions(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    DESCRIPTIONS_FILE.write_text(text, "utf-8")
    print(f"wrote {DESCRIPTIONS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
