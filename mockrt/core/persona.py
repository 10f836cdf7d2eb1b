"""Personas: the protocol flavour as a table, chosen per server or per connection.

``ga`` is today's live API; ``beta`` is the retired beta shape (``transcription_session.*``
events, ``conversation.item.created``). The same Session serves both; only these rows differ.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BETA", "GA", "PERSONAS", "Persona"]


@dataclass(frozen=True)
class Persona:
    name: Literal["ga", "beta"]
    # beta sent conversation.item.created after committed; GA sends .added then .done [live-JP]
    item_created: bool
    # Every client type the server names in its "Supported values" list for `type`.
    client_event_types: tuple[str, ...]
    # The ones this persona models; the others get an error that says why.
    modelled: frozenset[str]


_BUFFER = ("input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear")

GA = Persona(
    "ga",
    item_created=False,
    # [probe-Az #3] (Azure) lists session.close among the supported types and not
    # output_audio_buffer.clear; exact list and order UNCONFIRMED. Azure's list also named
    # transcription_session.update, but api.openai.com refuses it as an unknown type ("Invalid
    # value: 'transcription_session.update'", crmitchelmore/justspeaktoit PR 427, 2026-05-08;
    # protocol.md §11), so it is not in the GA list.
    client_event_types=(
        "session.update",
        *_BUFFER,
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "conversation.item.delete",
        "response.create",
        "response.cancel",
        "session.close",
    ),
    modelled=frozenset({"session.update", *_BUFFER}),
)
BETA = Persona(
    "beta",
    item_created=True,
    # openai.types.beta.realtime: the transcription-session subset of RealtimeClientEvent.
    client_event_types=("transcription_session.update", *_BUFFER, "session.update"),
    modelled=frozenset({"transcription_session.update", *_BUFFER}),
)
PERSONAS = {"ga": GA, "beta": BETA}
