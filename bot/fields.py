"""What users see of each editable assistant setting: label, group, input kind, choices, aliases.

The wire keys live in `bot.talkturo.models`; this module adds the human side, shared by the `set`
grammar, the edit modal, the summary and the change notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from bot.talkturo.models import (
    EDITABLE_FIELDS,
    LLM_PROVIDERS,
    MAX_TOKENS_MIN,
    STT_PROVIDERS,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    VOICE_PROVIDERS,
)


class Kind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"  # a documented list plus whatever the assistant has now
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"


class Group(StrEnum):
    BASICS = "Basics"
    LLM = "LLM"
    VOICE = "Voice"
    TRANSCRIBER = "Transcriber"
    TELEPHONY = "Telephony"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    group: Group
    kind: Kind
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = field(default=())
    hint: str | None = None


FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec("name", "Name", Group.BASICS, Kind.TEXT),
    FieldSpec(
        "first_message",
        "First message",
        Group.BASICS,
        Kind.LONG_TEXT,
        aliases=("greeting", "opening", "first-message"),
        hint="Spoken when the call connects.",
    ),
    FieldSpec(
        "system_prompt",
        "System prompt",
        Group.BASICS,
        Kind.LONG_TEXT,
        aliases=("prompt", "instructions", "system-prompt"),
        hint="Persona and instructions; may use CRM variables such as {{contact.first_name}}.",
    ),
    FieldSpec(
        "provider", "LLM provider", Group.LLM, Kind.CHOICE, LLM_PROVIDERS, aliases=("llm", "llm_provider")
    ),
    FieldSpec("model", "LLM model", Group.LLM, Kind.TEXT, aliases=("llm_model",)),
    FieldSpec(
        "temperature",
        "Temperature",
        Group.LLM,
        Kind.DECIMAL,
        minimum=TEMPERATURE_MIN,
        maximum=TEMPERATURE_MAX,
        aliases=("temp",),
        hint=f"{TEMPERATURE_MIN:g} to {TEMPERATURE_MAX:g}; lower is more predictable.",
    ),
    FieldSpec(
        "max_tokens",
        "Max tokens",
        Group.LLM,
        Kind.INTEGER,
        minimum=MAX_TOKENS_MIN,
        aliases=("max-tokens", "maxtokens", "tokens"),
        hint="Longest reply, in tokens.",
    ),
    FieldSpec(
        "voice_provider", "Voice provider", Group.VOICE, Kind.CHOICE, VOICE_PROVIDERS, aliases=("tts",)
    ),
    FieldSpec("voice_model", "Voice model", Group.VOICE, Kind.TEXT, aliases=("tts_model",)),
    FieldSpec("voice_name", "Voice name", Group.VOICE, Kind.TEXT),
    FieldSpec("voice_id", "Voice ID", Group.VOICE, Kind.TEXT, aliases=("voice",)),
    FieldSpec(
        "stt_provider",
        "Transcriber provider",
        Group.TRANSCRIBER,
        Kind.CHOICE,
        STT_PROVIDERS,
        aliases=("stt", "transcriber"),
    ),
    FieldSpec("stt_model", "Transcriber model", Group.TRANSCRIBER, Kind.TEXT),
    FieldSpec(
        "language",
        "Language",
        Group.TRANSCRIBER,
        Kind.TEXT,
        aliases=("lang",),
        hint="For example en, en-US, de or multi.",
    ),
    FieldSpec("inbound_enabled", "Inbound calls", Group.TELEPHONY, Kind.BOOLEAN, aliases=("inbound",)),
    FieldSpec("outbound_enabled", "Outbound calls", Group.TELEPHONY, Kind.BOOLEAN, aliases=("outbound",)),
    FieldSpec(
        "recording_enabled", "Call recording", Group.TELEPHONY, Kind.BOOLEAN, aliases=("recording", "record")
    ),
)

BY_NAME: Final[dict[str, FieldSpec]] = {spec.name: spec for spec in FIELDS}
assert set(BY_NAME) == set(EDITABLE_FIELDS), "every editable field needs a spec"


def _lookup_table() -> dict[str, FieldSpec]:
    table: dict[str, FieldSpec] = {}
    for spec in FIELDS:
        for key in (spec.name, *spec.aliases):
            table[key] = spec
    return table


_LOOKUP: Final = _lookup_table()
ALL_KEYS: Final[tuple[str, ...]] = tuple(_LOOKUP)


def lookup(key: str) -> FieldSpec | None:
    """A field by its name or an alias, case-insensitively, `-` and `_` alike."""
    normal = key.strip().lower()
    return _LOOKUP.get(normal) or _LOOKUP.get(normal.replace("-", "_"))
