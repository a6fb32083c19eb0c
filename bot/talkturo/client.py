"""Async client for the Talkturo REST API (talkturo-api.md).

One shared `httpx.AsyncClient` serves every workspace; each call names the `Account` it acts for.
Values are checked before any request, answers are read leniently (section 6), every failure becomes
one of `errors.TalkturoError`'s subclasses, and calls are repeated only where repeating is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import httpx
from pydantic import SecretStr, ValidationError

from bot.talkturo import errors
from bot.talkturo.models import (
    ACCOUNT_SLUG_KEY,
    ASSISTANT_KEY,
    EDITABLE_FIELDS,
    ERROR_KEYS,
    MAX_TOKENS_MIN,
    NUMBERS_KEY,
    PHONE_NUMBER_IDS_KEY,
    SUCCESS_KEY,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    TEMPLATE_ID_KEY,
    TEMPLATES,
    Assistant,
    AssistantFields,
    PhoneNumber,
    wire_key,
)
from bot.talkturo.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

__all__ = ["Account", "RetryPolicy", "TalkturoClient"]

logger = logging.getLogger("bot.talkturo")

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=3.0)
DEFAULT_LIMITS: Final = httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=30.0)
USER_AGENT: Final = "talkturo-slack/0.1"
MAX_MESSAGE_CHARS: Final = 300

# GET changes nothing and PATCH sets values / replaces a set, so both may be repeated; POST may not.
_REPEATABLE_METHODS: Final = frozenset({"GET", "PATCH"})
# The request never left this machine, so even a create may be sent again.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transient transport failures worth another try on a repeatable call.
_TRANSIENT: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

_BY_STATUS: Final[dict[int, type[errors.TalkturoError]]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.NotFound,  # section 2.6: an unsupported route counts as "not there"
    409: errors.Conflict,
}

# Our field names and their wire keys, both accepted in a changes mapping.
_FIELD_BY_KEY: Final[dict[str, str]] = {
    **{name: name for name in EDITABLE_FIELDS},
    **{wire_key(name): name for name in EDITABLE_FIELDS},
}
_RULES: Final[dict[str, str]] = {
    "temperature": f"a number from {TEMPERATURE_MIN} to {TEMPERATURE_MAX}",
    "max_tokens": f"a whole number of at least {MAX_TOKENS_MIN}",
    "name": "non-empty text",
}


@dataclass(frozen=True)
class Account:
    """One workspace's Talkturo connection. SecretStr keeps the token out of repr and logs."""

    base_url: str
    slug: str
    token: SecretStr


class TalkturoClient:
    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport`: what the client made here sends through (httpx's own pool when None)."""
        self._owns_http = http is None
        self._http = (
            http
            if http is not None
            else httpx.AsyncClient(
                timeout=DEFAULT_TIMEOUT,
                limits=DEFAULT_LIMITS,
                headers={"User-Agent": USER_AGENT},
                transport=transport,
            )
        )
        self._retry = retry or RetryPolicy()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it; a client passed in belongs to the caller."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> TalkturoClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- endpoints -------------------------------------------------------------------------------

    async def check_credentials(self, account: Account) -> None:
        """Raise unless Talkturo accepts the token (Unauthorized when it does not)."""
        await self._call(account, "GET", "/test-api-key", "/test-api-key", query=_slug_query(account))

    async def create_assistant(self, account: Account, name: str, template: str = "custom") -> Assistant:
        if not isinstance(name, str) or not name.strip():
            raise errors.InvalidValue("The assistant needs a name.", field="name")
        if template not in TEMPLATES:
            raise errors.InvalidValue(
                f"Unknown template {_short(template)}. Choose one of: {', '.join(TEMPLATES)}.",
                field="template",
            )
        body = {
            ACCOUNT_SLUG_KEY: account.slug,
            **AssistantFields(name=name).to_body(),
            TEMPLATE_ID_KEY: template,
        }
        answer = await self._call(account, "POST", "/assistants", "/assistants", json=body)
        return _assistant(answer, "POST")

    async def get_assistant(self, account: Account, assistant_id: str) -> Assistant:
        path = f"/assistants/{_segment(assistant_id)}"
        answer = await self._call(account, "GET", "/assistants/{id}", path, query=_slug_query(account))
        return _assistant(answer, "GET")

    async def update_assistant(
        self, account: Account, assistant_id: str, changes: AssistantFields | Mapping[str, Any]
    ) -> Assistant:
        path = f"/assistants/{_segment(assistant_id)}"
        body = {ACCOUNT_SLUG_KEY: account.slug, **_checked_changes(changes)}
        answer = await self._call(account, "PATCH", "/assistants/{id}", path, json=body)
        return _assistant(answer, "PATCH")

    async def assign_numbers(
        self, account: Account, assistant_id: str, number_ids: Sequence[str]
    ) -> list[str]:
        """Replace the assistant's numbers with `number_ids` ([] removes all); return the IDs now assigned."""
        path = f"/assistants/{_segment(assistant_id)}/telephony/phone-numbers"
        ids = _checked_number_ids(number_ids)
        body = {ACCOUNT_SLUG_KEY: account.slug, PHONE_NUMBER_IDS_KEY: ids}
        answer = await self._call(
            account, "PATCH", "/assistants/{id}/telephony/phone-numbers", path, json=body
        )
        # S answers only a message, D echoes the IDs: trust the echo when there is one.
        echoed = answer.get(PHONE_NUMBER_IDS_KEY)
        if isinstance(echoed, list) and all(isinstance(item, str) for item in echoed):
            return list(echoed)
        return ids

    async def list_numbers(self, account: Account, assistant_id: str) -> list[PhoneNumber]:
        """Numbers this assistant may hold: unassigned ones and its own (section 3.3)."""
        path = f"/assistants/{_segment(assistant_id)}/telephony/phone-numbers"
        answer = await self._call(
            account, "GET", "/assistants/{id}/telephony/phone-numbers", path, query=_slug_query(account)
        )
        records = answer.get(NUMBERS_KEY)
        if not isinstance(records, list):
            raise errors.ServerError("Talkturo's answer holds no list of phone numbers.")
        try:
            return [PhoneNumber.model_validate(record) for record in records]
        except ValidationError:
            raise errors.ServerError("Talkturo sent a phone number record the bot cannot read.") from None

    # -- transport -------------------------------------------------------------------------------

    async def _call(
        self,
        account: Account,
        method: str,
        template: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one logical request, repeating it where safe; return the success envelope."""
        _check_account(account)
        secret = account.token.get_secret_value()
        url = account.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
        if json is not None:
            headers["Content-Type"] = "application/json"
        repeatable = method in _REPEATABLE_METHODS
        started = time.monotonic()
        may_have_applied = False
        attempt = 0
        while True:
            attempt += 1
            sent_at = time.monotonic()
            cause: Exception | None = None
            hint: float | None = None
            try:
                response = await self._http.request(method, url, params=query, json=json, headers=headers)
            except httpx.InvalidURL:
                raise errors.InvalidValue("The Talkturo API URL is not valid.", field="base_url") from None
            except httpx.TransportError as exc:
                _log_attempt(method, template, type(exc).__name__, attempt, sent_at)
                cause = exc
                error: errors.TalkturoError = _unreachable(exc, account, method)
                retry = isinstance(exc, _NOT_SENT) or (repeatable and isinstance(exc, _TRANSIENT))
            else:
                _log_attempt(method, template, response.status_code, attempt, sent_at)
                body = _json_object(response)
                failure = _failure(response, body, method, secret)
                if failure is None:  # only a 2xx JSON object passes, so body is set
                    return body or {}
                error = failure
                retry = repeatable and response.status_code in RETRYABLE_STATUSES
                hint = parse_retry_after(response.headers.get("Retry-After"))

            # Once any try may have reached the server, the whole call may have applied.
            may_have_applied = may_have_applied or error.may_have_applied
            error.may_have_applied = may_have_applied
            wait = self._wait_before_retry(attempt, started, hint) if retry else None
            if wait is None:
                raise error from cause
            logger.debug("talkturo %s %s: trying again in %.2f s", method, template, wait)
            await asyncio.sleep(wait)

    def _wait_before_retry(self, attempt: int, started: float, hint: float | None) -> float | None:
        """Seconds to wait before the next try, or None to give up (tries or budget used up)."""
        policy = self._retry
        if attempt >= policy.attempts:
            return None
        wait = hint if hint is not None else policy.backoff(attempt)
        remaining = policy.budget - (time.monotonic() - started)
        return wait if wait <= remaining else None


# -- helpers -------------------------------------------------------------------------------------


def _log_attempt(method: str, template: str, outcome: object, attempt: int, sent_at: float) -> None:
    # Path template only: no IDs, no query, no headers, no bodies.
    elapsed_ms = (time.monotonic() - sent_at) * 1000
    logger.debug("talkturo %s %s -> %s (attempt %d, %.0f ms)", method, template, outcome, attempt, elapsed_ms)


def _check_account(account: Account) -> None:
    if not isinstance(account.base_url, str) or not account.base_url.startswith(("http://", "https://")):
        raise errors.InvalidValue(
            "The Talkturo API URL must start with http:// or https://.", field="base_url"
        )
    if not isinstance(account.slug, str) or not account.slug.strip():
        raise errors.InvalidValue("The Talkturo account slug is empty.", field="slug")
    token = account.token.get_secret_value()
    # A space or line break would break the header (and could end up in an HTTP library's error text).
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise errors.InvalidValue(
            "The Talkturo API token is empty or holds spaces or line breaks.", field="token"
        )


def _slug_query(account: Account) -> dict[str, str]:
    return {ACCOUNT_SLUG_KEY: account.slug}


def _segment(assistant_id: object) -> str:
    """An ID as one path segment; httpx leaves "/" and "?" alone, so escape everything."""
    if not isinstance(assistant_id, str) or not assistant_id.strip():
        raise errors.InvalidValue("The assistant ID must be a non-empty string.", field="assistant_id")
    return quote(assistant_id, safe="")


def _checked_number_ids(number_ids: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too: refuse it rather than send its characters.
    if isinstance(number_ids, str | bytes) or not isinstance(number_ids, Sequence):
        raise errors.InvalidValue("Give the phone number IDs as a list.", field="number_ids")
    for number_id in number_ids:
        if not isinstance(number_id, str) or not number_id.strip():
            raise errors.InvalidValue("Every phone number ID must be a non-empty string.", field="number_ids")
    return list(dict.fromkeys(number_ids))


def _checked_changes(changes: AssistantFields | Mapping[str, Any]) -> dict[str, Any]:
    """Validate `changes` through AssistantFields; return only the given fields under wire keys."""
    given: dict[str, Any] = {}
    if isinstance(changes, AssistantFields):
        given = {name: getattr(changes, name) for name in changes.model_fields_set}
    elif isinstance(changes, Mapping):
        for key, value in changes.items():
            field = _FIELD_BY_KEY.get(key) if isinstance(key, str) else None
            if field is None:
                raise errors.InvalidValue(
                    f"Unknown field {_short(key)}. Valid fields: {', '.join(EDITABLE_FIELDS)}.",
                    field=str(key),
                )
            if field in given:
                raise errors.InvalidValue(f"{field} is given twice.", field=field)
            given[field] = value
    else:
        raise errors.InvalidValue("Changes must be a mapping of field names to values.", field="changes")
    if not given:
        raise errors.InvalidValue("Nothing to change: give at least one field.", field="changes")
    for field, value in given.items():
        if value is None:  # Talkturo documents no way to clear a setting; null might be taken literally
            raise errors.InvalidValue(f"{field} needs a value.", field=field)
    try:
        fields = AssistantFields.model_validate(given)
    except ValidationError as exc:
        raise _invalid(exc, given) from None
    if fields.name is not None and not fields.name.strip():
        raise errors.InvalidValue("name must not be blank.", field="name")
    return fields.to_body()


def _invalid(exc: ValidationError, given: Mapping[str, Any]) -> errors.InvalidValue:
    problem = exc.errors()[0]
    loc = problem["loc"]
    field = _FIELD_BY_KEY.get(str(loc[0]), str(loc[0])) if loc else "changes"
    rule = _RULES.get(field)
    if rule is None:
        rule = "true or false" if problem["type"] == "bool_type" else "text"
    return errors.InvalidValue(f"{field} must be {rule} (got {_short(given.get(field))}).", field=field)


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:  # includes JSONDecodeError and undecodable bytes
        return None
    return data if isinstance(data, dict) else None


def _failure(
    response: httpx.Response, body: dict[str, Any] | None, method: str, secret: str
) -> errors.TalkturoError | None:
    """The error an answer stands for, or None for a 2xx success envelope."""
    status = response.status_code
    # A 5xx or an unreadable 2xx on a write may come after the server acted.
    changes_possible = method != "GET"
    message = (_message(body, secret) if body is not None else None) or _fallback(response, body)
    details = _details(body, secret) if body is not None else {}
    if 200 <= status < 300:
        if body is None:
            return errors.ServerError(message, status=status, may_have_applied=changes_possible)
        if body.get(SUCCESS_KEY) is False:
            return errors.BadRequest(message, status=status, details=details)
        return None
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return errors.RateLimited(message, retry_after=retry_after, status=status, details=details)
    cls = _BY_STATUS.get(status) or (errors.BadRequest if 400 <= status < 500 else None)
    if cls is not None:
        return cls(message, status=status, details=details)
    return errors.ServerError(message, status=status, details=details, may_have_applied=changes_possible)


def _message(body: Mapping[str, Any], secret: str) -> str | None:
    for key in ERROR_KEYS:
        value = body.get(key)
        if isinstance(value, Mapping):  # tolerate {"error": {"message": ...}}
            value = value.get("message")
        if isinstance(value, str) and value.strip() and not value.lstrip().startswith("<"):
            return _clean(value, secret)
    return None


def _fallback(response: httpx.Response, body: dict[str, Any] | None) -> str:
    head = f"Talkturo answered HTTP {response.status_code}"
    if response.reason_phrase:
        head += f" {response.reason_phrase}"
    if body is not None:
        return head + "."
    if not response.content.strip():
        return head + " with an empty body."
    return head + " with a non-JSON page."  # e.g. a proxy's HTML: never shown to users


def _clean(text: str, secret: str) -> str:
    text = " ".join(_redact(text, secret).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _redact(value: Any, secret: str) -> Any:
    """The token replaced wherever a server echoed it back."""
    if isinstance(value, str):
        return value.replace(secret, "***") if secret else value
    if isinstance(value, list):
        return [_redact(item, secret) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, secret) for key, item in value.items()}
    return value


def _details(body: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """Extra keys of an error body, such as a 409's assistantId."""
    kept = {key: value for key, value in body.items() if key != SUCCESS_KEY and key not in ERROR_KEYS}
    return {str(key): _redact(value, secret) for key, value in kept.items()}


def _unreachable(exc: httpx.TransportError, account: Account, method: str) -> errors.Unreachable:
    host = httpx.URL(account.base_url).host or account.base_url
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        message = f"Could not connect to Talkturo at {host}."
    elif isinstance(exc, httpx.PoolTimeout):
        message = "Too many requests to Talkturo are under way; this one could not start in time."
    elif isinstance(exc, httpx.TimeoutException):
        message = f"Talkturo at {host} did not answer in time."
    else:
        message = f"The connection to Talkturo at {host} failed ({type(exc).__name__})."
    may_have_applied = method != "GET" and not isinstance(exc, _NOT_SENT)
    return errors.Unreachable(message, may_have_applied=may_have_applied)


def _assistant(answer: Mapping[str, Any], method: str) -> Assistant:
    record = answer.get(ASSISTANT_KEY)
    try:
        if isinstance(record, dict):
            return Assistant.model_validate(record)
    except ValidationError:
        pass
    # A 2xx without the record: on a write the change most likely went through.
    raise errors.ServerError(
        "Talkturo's answer holds no readable assistant record.", may_have_applied=method != "GET"
    )
