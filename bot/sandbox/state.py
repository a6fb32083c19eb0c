"""In-memory state and rules of the Talkturo sandbox: accounts, assistants, numbers, faults.

Everything here is synchronous and free of HTTP; `app.py` turns requests into these calls and the
results (or `SandboxError`) back into responses. Wire keys come from `bot.talkturo.models`, so a key
corrected there is corrected here too. A lock guards every method because tests often drive the
state from their own thread while uvicorn serves it from another.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel

from bot.talkturo.models import (
    ACCOUNT_SLUG_KEY,
    DEFAULT_TEMPLATE,
    EDITABLE_FIELDS,
    ERROR_KEYS,
    MAX_TOKENS_MIN,
    PHONE_NUMBER_IDS_KEY,
    SUCCESS_KEY,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    TEMPLATE_ID_KEY,
    TEMPLATES,
    Assistant,
    PhoneNumber,
    wire_key,
)

ENDPOINTS: Final = (
    "test_api_key",
    "create_assistant",
    "get_assistant",
    "update_assistant",
    "assign_numbers",
    "list_numbers",
)

ERROR_KEY: Final = ERROR_KEYS[0]
# Extra key on a 409 from assign: who holds the number (no constant in models; sandbox-chosen).
HOLDER_KEY: Final = "assistantId"
DEMO_SLUG: Final = "demo"
DEMO_TOKEN: Final = "tk_test_demo_sandbox_token"
DEFAULT_HANG_SECONDS: Final = 60.0

_CROCKFORD: Final = "0123456789abcdefghjkmnpqrstvwxyz"  # ULID alphabet, lowercased
_HEX: Final = "0123456789abcdef"


def _alias(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].alias or name


# Record keys, all taken from the models (talkturo-api.md section 7).
ID: Final = _alias(Assistant, "id")
ACCOUNT_ID: Final = _alias(Assistant, "account_id")
TYPE: Final = _alias(Assistant, "template")
CREATED_AT: Final = _alias(Assistant, "created_at")
UPDATED_AT: Final = _alias(Assistant, "updated_at")
NAME: Final = wire_key("name")
ASSISTANT_KEYS: Final[tuple[str, ...]] = (
    ID,
    ACCOUNT_ID,
    NAME,
    TYPE,
    *(wire_key(f) for f in EDITABLE_FIELDS if f != "name"),
    CREATED_AT,
    UPDATED_AT,
)
# The server owns these; a PATCH may repeat them unchanged (a client echoing a record) but not change them.
READ_ONLY_KEYS: Final = frozenset({ID, ACCOUNT_ID, TYPE, CREATED_AT, UPDATED_AT})

NUMBER_ID: Final = _alias(PhoneNumber, "id")
PHONE_NUMBER: Final = _alias(PhoneNumber, "phone_number")
STATUS: Final = _alias(PhoneNumber, "status")
ASSIGNED_TO: Final = _alias(PhoneNumber, "assistant_id")
# Keys S documents on list items that the models do not name.
IS_TRIAL: Final = "is_trial"
NUMBER_PROVIDER: Final = "provider"
ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"

_BOOL_FIELDS: Final = ("recording_enabled", "inbound_enabled", "outbound_enabled")
_STRING_FIELDS: Final = tuple(
    f for f in EDITABLE_FIELDS if f not in {"name", "temperature", "max_tokens", *_BOOL_FIELDS}
)

# Template defaults by our field names; only outbound-setter's values are documented (an example),
# the rest follow the docs' one-line descriptions.
_TEMPLATE_DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "outbound-setter": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.7,
        "max_tokens": 1024,
        "first_message": "Hi {{contact.first_name}}, this is Alex from {{company.name}}. "
        "Do you have a quick minute?",
        "system_prompt": "You are Alex, an outbound sales development rep. Qualify the lead in a friendly, "
        "concise way, handle objections briefly and book a meeting on the calendar.",
        "voice_provider": "cartesia",
        "voice_model": "sonic-2",
        "voice_id": "f786b574-daa5-4673-aa0c-cbe3e8534c02",
        "voice_name": "Katie",
        "stt_provider": "deepgram",
        "stt_model": "nova-3",
        "language": "en",
        "recording_enabled": True,
        "inbound_enabled": False,
        "outbound_enabled": True,
    },
    "inbound-support": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.3,
        "max_tokens": 512,
        "first_message": "Thanks for calling {{company.name}} support. How can I help you today?",
        "system_prompt": "You are a patient support agent. Identify the caller's issue, answer from the "
        "knowledge you have, and offer a callback when you cannot solve it on the call.",
        "voice_provider": "elevenlabs",
        "voice_model": "eleven_flash_v2_5",
        "voice_id": "21m00Tcm4TlvDq8ikWAM",
        "voice_name": "Rachel",
        "stt_provider": "deepgram",
        "stt_model": "nova-3",
        "language": "en",
        "recording_enabled": True,
        "inbound_enabled": True,
        "outbound_enabled": False,
    },
    "follow-up": {
        "provider": "anthropic",
        "model": "claude-3-5-haiku-latest",
        "temperature": 0.6,
        "max_tokens": 768,
        "first_message": "Hi {{contact.first_name}}, it's Sam from {{company.name}}. We spoke a while ago "
        "and I wanted to check in.",
        "system_prompt": "You re-engage contacts who went quiet. Remind them of the earlier conversation, "
        "ask what changed, and offer a clear next step without being pushy.",
        "voice_provider": "cartesia",
        "voice_model": "sonic-2",
        "voice_id": "a0e99841-438c-4a64-b679-ae501e7d6091",
        "voice_name": "Barbershop Man",
        "stt_provider": "assemblyai",
        "stt_model": "universal-streaming",
        "language": "en",
        "recording_enabled": True,
        "inbound_enabled": False,
        "outbound_enabled": True,
    },
    "custom": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.0,
        "recording_enabled": False,
        "inbound_enabled": False,
        "outbound_enabled": False,
    },
}


class SandboxError(Exception):
    """A refusal the HTTP layer answers as `{"success": false, "error": message, **extra}`."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {SUCCESS_KEY: False, ERROR_KEY: self.message, **self.extra}


class MissingAuth(SandboxError):
    """No bearer token: the primary docs show this 401 body literally, without `success`."""

    def __init__(self) -> None:
        super().__init__(401, "Unauthorized")

    def body(self) -> dict[str, Any]:
        return {ERROR_KEY: self.message}


@dataclass
class SandboxAccount:
    slug: str
    token: str = field(repr=False)  # keep secrets out of logs and assertion output
    account_id: str
    number_ids: list[str] = field(default_factory=list)
    phone_numbers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Everything but the token, for the control API."""
        return {
            "slug": self.slug,
            "account_id": self.account_id,
            "number_ids": list(self.number_ids),
            "phone_numbers": list(self.phone_numbers),
        }


@dataclass(frozen=True)
class Fault:
    """How to misbehave on one call; see `SandboxState.inject_fault`."""

    endpoint: str
    status: int
    times: int = 1
    retry_after: float | None = None
    html: bool = False
    after_apply: bool = False
    timeout: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    fault: Fault
    remaining: int


class SandboxState:
    """Accounts with their assistants and numbers, plus the knobs tests turn (faults, latency)."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
    ) -> None:
        self._random = random.Random(seed)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_time: datetime | None = None
        self._lock = threading.RLock()
        self._next_number = 100
        self.hang_seconds = hang_seconds
        self.accounts: dict[str, SandboxAccount] = {}
        self._by_token: dict[str, SandboxAccount] = {}
        self.assistants: dict[str, dict[str, Any]] = {}
        self.numbers: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, deque[_Pending]] = {}
        self._latency: float = 0.0
        self._endpoint_latency: dict[str, float] = {}

    # ----- ids and time -----

    def _random_chars(self, alphabet: str, count: int) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(count))

    def _now(self) -> str:
        # Strictly increasing, so two quick updates never share an updated_at.
        now = self._clock().astimezone(UTC)
        if self._last_time is not None and now <= self._last_time:
            now = self._last_time + timedelta(microseconds=1)
        self._last_time = now
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    # ----- accounts and numbers -----

    def add_account(self, slug: str, *, token: str, numbers: int = 5) -> SandboxAccount:
        """Create an account with `numbers` seeded numbers; the last is suspended if there are two or more."""
        if not slug or not token:
            raise ValueError("slug and token must be non-empty")
        if numbers < 0:
            raise ValueError("numbers must be >= 0")
        with self._lock:
            if slug in self.accounts:
                raise ValueError(f"account {slug!r} already exists")
            if token in self._by_token:
                raise ValueError("token already belongs to another account")
            account = SandboxAccount(slug=slug, token=token, account_id="acct_" + self._ulid_tail(26))
            for index in range(numbers):
                suspended = numbers >= 2 and index == numbers - 1
                number_id = "pn_" + self._random_chars(_HEX, 12)
                while number_id in self.numbers:
                    number_id = "pn_" + self._random_chars(_HEX, 12)
                phone = self._next_phone()
                self.numbers[number_id] = {
                    NUMBER_ID: number_id,
                    PHONE_NUMBER: phone,
                    STATUS: SUSPENDED if suspended else ACTIVE,
                    IS_TRIAL: False,
                    ASSIGNED_TO: None,
                    NUMBER_PROVIDER: "talkturo",
                }
                account.number_ids.append(number_id)
                account.phone_numbers.append(phone)
            self.accounts[slug] = account
            self._by_token[token] = account
            return account

    def _ulid_tail(self, count: int) -> str:
        return self._random_chars(_CROCKFORD, count)

    def _next_phone(self) -> str:
        # +1 415 555 0100 upwards; the exchange grows past 9999 so numbers stay unique across accounts.
        n = self._next_number
        self._next_number += 1
        return f"+1415{555 + n // 10000:03d}{n % 10000:04d}"

    def set_number_status(self, number_id: str, status: str) -> None:
        """Let a test suspend or reactivate a number."""
        with self._lock:
            self.numbers[number_id][STATUS] = status

    # ----- auth -----

    def authenticate(self, token: str | None) -> SandboxAccount:
        """The account of a bearer token; `None` means the header was missing or not a bearer."""
        if not token:
            raise MissingAuth()
        with self._lock:
            account = self._by_token.get(token)
        if account is None:
            raise SandboxError(401, "Invalid API key")
        return account

    @staticmethod
    def _check_slug(account: SandboxAccount, slug: object, *, required: bool) -> None:
        if slug is None:
            if required:
                raise SandboxError(400, f"{ACCOUNT_SLUG_KEY} is required")
            return
        if not isinstance(slug, str) or not slug:
            raise SandboxError(400, f"{ACCOUNT_SLUG_KEY} must be a non-empty string")
        if slug != account.slug:
            # Same answer for an unknown slug and a foreign one, so a key cannot probe for accounts.
            raise SandboxError(403, f"This API key does not belong to account '{slug}'")

    def _owned_assistant(self, account: SandboxAccount, assistant_id: str) -> dict[str, Any]:
        record = self.assistants.get(assistant_id)
        if record is None:
            raise SandboxError(404, f"Assistant {assistant_id} not found")
        if record[ACCOUNT_ID] != account.account_id:
            raise SandboxError(403, f"Assistant {assistant_id} belongs to another account")
        return record

    # ----- endpoints (one method each; bodies are already-parsed JSON objects) -----

    def check_api_key(self, account: SandboxAccount, slug: str | None) -> None:
        self._check_slug(account, slug, required=False)

    def create_assistant(self, account: SandboxAccount, body: dict[str, Any]) -> dict[str, Any]:
        """Create from a template; keys other than name/templateId are ignored, as the docs list no others."""
        with self._lock:
            self._check_slug(account, body.get(ACCOUNT_SLUG_KEY), required=True)
            name = body.get(NAME)
            if name is None:
                raise SandboxError(400, f"{NAME} is required")
            _check_name(name)
            template = body.get(TEMPLATE_ID_KEY, DEFAULT_TEMPLATE)
            if not isinstance(template, str) or template not in TEMPLATES:
                valid = ", ".join(TEMPLATES)
                raise SandboxError(400, f"Unknown {TEMPLATE_ID_KEY} {template!r}; valid values: {valid}")
            assistant_id = "asst_01j" + self._ulid_tail(23)
            while assistant_id in self.assistants:
                assistant_id = "asst_01j" + self._ulid_tail(23)
            now = self._now()
            record: dict[str, Any] = dict.fromkeys(ASSISTANT_KEYS)
            defaults = {wire_key(k): v for k, v in _TEMPLATE_DEFAULTS[template].items()}
            record.update(defaults)
            record.update(
                {
                    ID: assistant_id,
                    ACCOUNT_ID: account.account_id,
                    NAME: name,
                    TYPE: template,
                    CREATED_AT: now,
                    UPDATED_AT: now,
                }
            )
            self.assistants[assistant_id] = record
            return copy.deepcopy(record)

    def get_assistant(self, account: SandboxAccount, assistant_id: str, slug: str | None) -> dict[str, Any]:
        with self._lock:
            self._check_slug(account, slug, required=False)
            return copy.deepcopy(self._owned_assistant(account, assistant_id))

    def update_assistant(
        self, account: SandboxAccount, assistant_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Partial update; unknown keys are stored as given ("any field the backend supports")."""
        with self._lock:
            self._check_slug(account, body.get(ACCOUNT_SLUG_KEY), required=True)
            record = self._owned_assistant(account, assistant_id)
            changes = {k: v for k, v in body.items() if k != ACCOUNT_SLUG_KEY}
            for key, value in changes.items():
                _validate_field(key, value, record)
            if changes:
                record.update(changes)
                record[UPDATED_AT] = self._now()
            return copy.deepcopy(record)

    def assign_numbers(self, account: SandboxAccount, assistant_id: str, body: dict[str, Any]) -> list[str]:
        """Replace the assistant's whole set of numbers; all-or-nothing. Returns the new set."""
        with self._lock:
            self._check_slug(account, body.get(ACCOUNT_SLUG_KEY), required=True)
            record = self._owned_assistant(account, assistant_id)
            wanted = body.get(PHONE_NUMBER_IDS_KEY)
            if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
                raise SandboxError(400, f"{PHONE_NUMBER_IDS_KEY} must be a list of phone number ids")
            ids = list(dict.fromkeys(wanted))  # duplicates collapse, order kept
            owned = set(account.number_ids)
            for number_id in ids:
                number = self.numbers.get(number_id)
                if number is None or number_id not in owned:
                    raise SandboxError(400, f"Unknown phone number id: {number_id}")
                holder_id = number[ASSIGNED_TO]
                # A number already held may stay in the set whatever its status: replace semantics
                # would otherwise make a suspended number impossible to keep while adding another.
                if holder_id == assistant_id:
                    continue
                if number[STATUS] != ACTIVE:
                    raise SandboxError(
                        400, f"Phone number {number[PHONE_NUMBER]} is not active (status: {number[STATUS]})"
                    )
                if holder_id is not None:
                    holder = self.assistants.get(holder_id, {})
                    raise SandboxError(
                        409,
                        f"Phone number {number[PHONE_NUMBER]} is assigned to assistant "
                        f"{holder.get(NAME)} ({holder_id})",
                        **{HOLDER_KEY: holder_id},
                    )
            keep = set(ids)
            for number_id in account.number_ids:
                number = self.numbers[number_id]
                if number_id in keep:
                    number[ASSIGNED_TO] = assistant_id
                elif number[ASSIGNED_TO] == assistant_id:
                    number[ASSIGNED_TO] = None
            record[UPDATED_AT] = self._now()
            return ids

    def list_numbers(
        self, account: SandboxAccount, assistant_id: str, slug: str | None
    ) -> list[dict[str, Any]]:
        """Active numbers of the account that are free or already on this assistant (S behaviour)."""
        with self._lock:
            self._check_slug(account, slug, required=False)
            self._owned_assistant(account, assistant_id)
            return [
                copy.deepcopy(number)
                for number_id in account.number_ids
                if (number := self.numbers[number_id])[STATUS] == ACTIVE
                and number[ASSIGNED_TO] in (None, assistant_id)
            ]

    # ----- faults, latency, counts -----

    def inject_fault(
        self,
        endpoint: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        html: bool = False,
        after_apply: bool = False,
        timeout: bool = False,
    ) -> Fault:
        """Misbehave on the endpoint's next `times` calls, after any faults injected before.

        status: the HTTP status to answer (default 500, or 504 once a `timeout` hang ends);
        retry_after: seconds for a Retry-After header; html: a proxy-style HTML page instead of JSON;
        after_apply: perform the real operation first, then answer the error (the reply was lost);
        timeout: hang for `hang_seconds` (cancellable) instead of answering.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; valid: {', '.join(ENDPOINTS)}")
        if status is None:
            status = 504 if timeout else 500
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError("status must be an HTTP status between 200 and 599")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be an integer >= 1")
        if retry_after is not None and (isinstance(retry_after, bool) or retry_after < 0):
            raise ValueError("retry_after must be a number of seconds >= 0")
        fault = Fault(endpoint, status, times, retry_after, bool(html), bool(after_apply), bool(timeout))
        with self._lock:
            self._faults.setdefault(endpoint, deque()).append(_Pending(fault, times))
        return fault

    def record_call(self, endpoint: str) -> Fault | None:
        """Count a received call and take the fault it should suffer, if any."""
        with self._lock:
            self.calls[endpoint] += 1
            queue = self._faults.get(endpoint)
            if not queue:
                return None
            pending = queue[0]
            pending.remaining -= 1
            if pending.remaining == 0:
                queue.popleft()
            return pending.fault

    def set_latency(self, seconds: float, endpoint: str | None = None) -> None:
        """Delay every call (endpoint=None) or one endpoint's calls, which then ignore the global delay."""
        if isinstance(seconds, bool) or seconds < 0:
            raise ValueError("seconds must be >= 0")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; valid: {', '.join(ENDPOINTS)}")
        with self._lock:
            if endpoint is None:
                self._latency = float(seconds)
            else:
                self._endpoint_latency[endpoint] = float(seconds)

    def latency_for(self, endpoint: str) -> float:
        with self._lock:
            return self._endpoint_latency.get(endpoint, self._latency)

    def reset(self) -> None:
        """Clear faults, latency and call counts; accounts, assistants and numbers stay."""
        with self._lock:
            self._faults.clear()
            self._latency = 0.0
            self._endpoint_latency.clear()
            self.calls.clear()


def _check_name(value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise SandboxError(400, f"{NAME} must be a non-empty string")


def _validate_field(key: str, value: object, record: dict[str, Any]) -> None:
    """Refuse a PATCH value that breaks a documented rule; unknown keys pass untouched."""
    if key in READ_ONLY_KEYS:
        if value != record.get(key):
            raise SandboxError(400, f"{key} is read-only")
        return
    if key == NAME:
        _check_name(value)
        return
    if value is None:  # every other known field may be cleared back to "server default"
        return
    if key == wire_key("temperature"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX  # also refuses NaN
        ):
            raise SandboxError(
                400, f"{key} must be a number between {TEMPERATURE_MIN} and {TEMPERATURE_MAX}, got {value!r}"
            )
    elif key == wire_key("max_tokens"):
        if isinstance(value, bool) or not isinstance(value, int) or value < MAX_TOKENS_MIN:
            raise SandboxError(400, f"{key} must be an integer >= {MAX_TOKENS_MIN}, got {value!r}")
    elif key in {wire_key(f) for f in _BOOL_FIELDS}:
        if not isinstance(value, bool):
            raise SandboxError(400, f"{key} must be a boolean, got {value!r}")
    elif key in {wire_key(f) for f in _STRING_FIELDS} and not isinstance(value, str):
        raise SandboxError(400, f"{key} must be a string or null, got {value!r}")
