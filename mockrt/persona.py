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
    created_type: str
    updated_type: str


GA = Persona(
    "ga", item_created=False, created_type="session.created", updated_type="session.updated"
)
BETA = Persona(
    "beta",
    item_created=True,
    created_type="transcription_session.created",
    updated_type="transcription_session.updated",
)
PERSONAS = {"ga": GA, "beta": BETA}
