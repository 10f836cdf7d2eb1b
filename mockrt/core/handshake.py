"""The handshake and the keys: who may open which session, decided before any frame.

Pure: the adapter passes the query, the headers and the offered subprotocols, and gets back a
decision — open a session, refuse with an HTTP error, or upgrade then send an error and close.
Also mints and checks ephemeral keys (``POST /v1/realtime/client_secrets``, protocol.md §1.4).
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from mockrt.core import errors
from mockrt.core.errors import ErrorDetail
from mockrt.core.ids import Ids
from mockrt.core.options import Options
from mockrt.core.session_objects import RealtimeSessionRequest, TranscriptionSessionRequest
from mockrt.core.sessionconf import (
    apply_realtime_update,
    apply_update,
    default_realtime_session,
    default_session,
    validate_session_request,
)
from mockrt.core.validation import json_kind, validation_error_detail
from mockrt.core.wire import dump

__all__ = [
    "CloseAfterUpgrade",
    "HttpReject",
    "KeyStore",
    "MintedKey",
    "Open",
    "create_beta_transcription_session",
    "create_client_secret",
    "decide",
    "offered_key",
]

SUBPROTOCOL_KEY_PREFIX = "openai-insecure-api-key."  # protocol.md §1.3
BETA_SUBPROTOCOL = "openai-beta.realtime-v1"

SessionRequestModel = TranscriptionSessionRequest | RealtimeSessionRequest


@dataclass(frozen=True)
class MintedKey:
    value: str
    expires_at: int
    session: SessionRequestModel


_PRUNE_MINTED_AT = 1024


@dataclass
class KeyStore:
    """Accepted keys: any ``sk-…`` (or only ``allowed``), and unexpired keys minted here."""

    allowed: frozenset[str] | None = None
    minted: dict[str, MintedKey] = field(default_factory=dict)
    _prune_at: int = field(default=_PRUNE_MINTED_AT, repr=False)

    def add(self, key: MintedKey, now: float) -> None:
        """Keep a newly minted key; expired ones are forgotten whenever the store has doubled
        (amortised O(1)), so a long-running server minting keys stays bounded."""
        self.minted[key.value] = key
        if len(self.minted) >= self._prune_at:
            self.minted = {k: m for k, m in self.minted.items() if now < m.expires_at}
            self._prune_at = max(_PRUNE_MINTED_AT, 2 * len(self.minted))

    def check(self, key: str | None, now: float) -> MintedKey | bool:
        """The minted key's record, True for an accepted static key, False otherwise."""
        if not key:
            return False
        minted = self.minted.get(key)
        if minted is not None:
            return minted if now < minted.expires_at else False
        if self.allowed is not None:
            return key in self.allowed
        return key.startswith("sk-")


@dataclass(frozen=True)
class Open:
    intent: Literal["transcription", "realtime"]
    model: str | None
    minted: MintedKey | None
    protocol: str | None  # the subprotocol to echo ("realtime"), if any was offered
    persona: Literal["ga", "beta"] = "ga"
    # ?intent=transcription&model=X under "after-update": the session refuses its transcription
    # session.update with invalid_model and closes (protocol.md §11)
    refused_model: str | None = None


@dataclass(frozen=True)
class HttpReject:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class CloseAfterUpgrade:
    error: ErrorDetail
    code: int
    reason: str
    protocol: str | None


def _rest_error(
    message: str, code: str | None, param: str | None = None, type_: str = "invalid_request_error"
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# REST texts of api.openai.com for a missing and a wrong key (protocol.md §1.2: same 401 on the
# realtime upgrade; exact body UNCONFIRMED there).
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username. You can obtain an API key from https://platform.openai.com/account/api-keys."
)


def _masked(key: str) -> str:
    return f"{key[:3]}{'*' * 4}{key[-4:]}" if len(key) > 8 else "****"


def offered_key(headers: Mapping[str, str], protocols: Sequence[str]) -> str | None:
    """The key from ``Authorization: Bearer`` or the ``openai-insecure-api-key.`` subprotocol."""
    auth = headers.get("Authorization") or headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    for proto in protocols:
        if proto.startswith(SUBPROTOCOL_KEY_PREFIX):
            return proto[len(SUBPROTOCOL_KEY_PREFIX) :]
    return None


def decide(
    query: Mapping[str, str],
    headers: Mapping[str, str],
    protocols: Sequence[str],
    keys: KeyStore,
    options: Options,
    now: float,
    persona: Literal["ga", "beta"] = "ga",
) -> Open | HttpReject | CloseAfterUpgrade:
    """What to do with a ``GET /v1/realtime`` upgrade (protocol.md §1, §9.1). A server of the
    ``beta`` persona serves beta clients (header or subprotocol) the beta shapes instead."""
    key = offered_key(headers, protocols)
    if key is None:
        return HttpReject(401, _rest_error(NO_KEY, None))
    accepted = keys.check(key, now)
    if accepted is False:
        return HttpReject(
            401,
            _rest_error(
                f"Incorrect API key provided: {_masked(key)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_api_key",
            ),
        )
    protocol = "realtime" if "realtime" in protocols else None
    beta = (headers.get("OpenAI-Beta") or headers.get("openai-beta") or "").lower()
    is_beta = "realtime=v1" in beta or BETA_SUBPROTOCOL in protocols
    if is_beta and persona == "ga":
        return CloseAfterUpgrade(
            errors.beta_api_shape_disabled(), 4000, errors.BETA_CLOSE_REASON, protocol
        )
    intent = query.get("intent")
    model = query.get("model")
    if intent is not None and intent != "transcription":
        # INVENTED: the live reaction to another intent is unknown.
        detail = errors.invalid_value("intent", intent, ["transcription"])
        return HttpReject(400, _rest_error(detail.message, detail.code, "intent"))
    refused_model = None
    if intent == "transcription" and model is not None:
        # protocol.md §11: three recorded answers, chosen by Options.model_with_intent
        if options.model_with_intent == "after-update":
            refused_model = model
        else:
            detail = (
                errors.model_parameter_for_transcription()
                if options.model_with_intent == "must-not-provide"
                else errors.model_not_supported_in_transcription(model)
            )
            return CloseAfterUpgrade(detail, 4000, errors.INVALID_MODEL_CLOSE_REASON, protocol)
    minted = accepted if isinstance(accepted, MintedKey) else None
    if intent is None and minted is not None and minted.session.type == "transcription":
        # A transcription secret opens a transcription session on the bare URL. UNCONFIRMED.
        intent = "transcription"
    return Open(
        "transcription" if intent == "transcription" else "realtime",
        model,
        minted,
        protocol,
        "beta" if is_beta else "ga",
        refused_model,
    )


def create_client_secret(
    body: object, keys: KeyStore, options: Options, ids: Ids, now: float
) -> tuple[int, dict[str, Any]]:
    """``POST /v1/realtime/client_secrets``: (status, JSON body); mints into ``keys``."""
    if not isinstance(body, dict):
        return 400, _rest_error("We could not parse the JSON body of your request.", None)
    for name in body:
        if name not in ("expires_after", "session"):
            return 400, _rest_error(f"Unknown parameter: '{name}'.", "unknown_parameter", name)
    seconds = 600  # [py3.51] "This default to 600 seconds (10 minutes) if not specified."
    expires_after = body.get("expires_after")
    if expires_after is not None:
        problem = _check_expires_after(expires_after)
        if problem is not None:
            return 400, _rest_error(problem.message, problem.code, problem.param)
        seconds = int(expires_after.get("seconds", 600))
    session_body = body.get("session", {"type": "realtime", "model": options.realtime_model})
    request = validate_session_request(session_body, None, options)
    if isinstance(request, ErrorDetail):
        return 400, _rest_error(request.message, request.code, request.param)
    session_id = ids.make("sess")
    if isinstance(request, TranscriptionSessionRequest):
        configured = apply_update(
            default_session(session_id, 0, options, minted=True), request, options
        )
        if isinstance(configured, ErrorDetail):
            return 400, _rest_error(configured.message, configured.code, configured.param)
        session_out: dict[str, Any] = dump(configured)
    else:
        model = str(request.model_dump().get("model") or options.realtime_model)
        session_out = dump(
            apply_realtime_update(
                default_realtime_session(session_id, 0, model), request.model_dump()
            )
        )
    value = ids.ephemeral_key()
    expires_at = int(now) + seconds
    keys.add(MintedKey(value, expires_at, request), now)
    return 200, {"value": value, "expires_at": expires_at, "session": session_out}


def create_beta_transcription_session(
    body: object,
    keys: KeyStore,
    options: Options,
    ids: Ids,
    now: float,
    persona: Literal["ga", "beta"],
) -> tuple[int, dict[str, Any]]:
    """Beta ``POST /v1/realtime/transcription_sessions``: the beta session with
    ``client_secret: {value, expires_at}``; refused by a ``ga`` server, as the beta API is gone."""
    if persona == "ga":
        # UNCONFIRMED body: the beta REST calls fail since the shutdown (protocol.md §1.5).
        detail = errors.beta_api_shape_disabled()
        return 400, _rest_error(detail.message, detail.code)
    # the beta models load with the first beta request, not with every server (issue 15)
    from mockrt.core.beta import (
        BETA_SESSION_REQUEST,
        BetaClientSecret,
        beta_session_from_ga,
        ga_request_from_beta,
    )

    try:
        request = BETA_SESSION_REQUEST.validate_python(body)
    except ValidationError as exc:
        detail = validation_error_detail(exc, body)
        return 400, _rest_error(detail.message, detail.code, detail.param)
    ga_request = TranscriptionSessionRequest.model_validate(ga_request_from_beta(request))
    configured = apply_update(
        default_session(ids.make("sess"), 0, options, minted=True),
        ga_request,
        options,
        null_rule=False,  # the beta shape: null clears
    )
    if isinstance(configured, ErrorDetail):
        return 400, _rest_error(configured.message, configured.code, configured.param)
    # [py3.51 beta] "Currently, all tokens expire after one minute." unless configured.
    seconds = 60
    secret_config = request.client_secret
    if secret_config and secret_config.expires_at and secret_config.expires_at.seconds:
        seconds = secret_config.expires_at.seconds
    value = ids.ephemeral_key()
    expires_at = int(now) + seconds
    keys.add(MintedKey(value, expires_at, ga_request), now)
    secret = BetaClientSecret(value=value, expires_at=expires_at)
    return 200, dump(beta_session_from_ga(configured, client_secret=secret))


def _check_expires_after(expires_after: object) -> ErrorDetail | None:
    if not isinstance(expires_after, dict):
        return errors.invalid_type("expires_after", "an object", json_kind(expires_after))
    for name in expires_after:
        if name not in ("anchor", "seconds"):
            return errors.unknown_parameter(f"expires_after.{name}")
    anchor = expires_after.get("anchor", "created_at")
    if anchor != "created_at":
        return errors.invalid_value("expires_after.anchor", anchor, ["created_at"])
    seconds = expires_after.get("seconds", 600)
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return errors.invalid_type("expires_after.seconds", "an integer", json_kind(seconds))
    if not 10 <= seconds <= 7200:
        # [py3.51] "Select a value between `10` and `7200` (2 hours)."
        above = seconds > 7200
        return errors.out_of_range(
            "expires_after.seconds", "integer", above, 7200 if above else 10, seconds
        )
    return None
