"""Talkturo resources as pydantic models.

This module is the one place that knows Talkturo's JSON keys (talkturo-api.md, section 7). Attribute
names are ours; each `alias` is the key on the wire, so a key corrected after checking the live API is a
one-line change here. Every field but `id` is optional, and unknown keys are kept so that a round trip
through the bot never drops what Talkturo sent.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

TEMPLATES: Final[dict[str, str]] = {
    "outbound-setter": "Calls leads and books meetings (prospecting defaults)",
    "inbound-support": "Answers incoming calls with a support prompt",
    "follow-up": "Re-engages contacts who went quiet",
    "custom": "Minimal defaults; you set everything",
}
DEFAULT_TEMPLATE: Final = "custom"

# Documented values, offered as choices; the server has the last word on anything else.
LLM_PROVIDERS: Final = ("openai", "anthropic", "google", "deepseek", "qwen")
VOICE_PROVIDERS: Final = ("cartesia", "elevenlabs")
STT_PROVIDERS: Final = ("deepgram", "assemblyai")

TEMPERATURE_MIN: Final = 0.0
TEMPERATURE_MAX: Final = 2.0
MAX_TOKENS_MIN: Final = 1

# Request-wrapper keys (camelCase on the wire, unlike the snake_case records).
ACCOUNT_SLUG_KEY: Final = "accountSlug"
TEMPLATE_ID_KEY: Final = "templateId"
PHONE_NUMBER_IDS_KEY: Final = "phoneNumberIds"
# Envelope keys: a resource sits under a resource-named key next to `success`.
SUCCESS_KEY: Final = "success"
ASSISTANT_KEY: Final = "assistant"
NUMBERS_KEY: Final = "numbers"
ERROR_KEYS: Final = ("error", "message")

# Records come from the wire only: by alias, so an unknown key equal to one of our attribute names
# (e.g. "template") stays an extra key and survives a round trip unchanged.
_RECORD = ConfigDict(extra="allow", protected_namespaces=())


class AssistantFields(BaseModel):
    """The editable settings of an assistant, strictly typed: what a PATCH body may carry."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        protected_namespaces=(),
        str_strip_whitespace=False,
    )

    name: StrictStr | None = Field(default=None, alias="name", min_length=1)
    # LLM
    provider: StrictStr | None = Field(default=None, alias="provider")
    model: StrictStr | None = Field(default=None, alias="model")
    temperature: StrictFloat | StrictInt | None = Field(
        default=None, alias="temperature", ge=TEMPERATURE_MIN, le=TEMPERATURE_MAX
    )
    max_tokens: StrictInt | None = Field(default=None, alias="max_tokens", ge=MAX_TOKENS_MIN)
    first_message: StrictStr | None = Field(default=None, alias="first_message")
    system_prompt: StrictStr | None = Field(default=None, alias="system_prompt")
    # Voice (TTS)
    voice_provider: StrictStr | None = Field(default=None, alias="voice_provider")
    voice_model: StrictStr | None = Field(default=None, alias="voice_model")
    voice_id: StrictStr | None = Field(default=None, alias="voice_id")
    voice_name: StrictStr | None = Field(default=None, alias="voice_name")
    # Transcriber (STT)
    stt_provider: StrictStr | None = Field(default=None, alias="stt_provider")
    stt_model: StrictStr | None = Field(default=None, alias="stt_model")
    language: StrictStr | None = Field(default=None, alias="language")
    # Telephony
    recording_enabled: StrictBool | None = Field(default=None, alias="recording_enabled")
    inbound_enabled: StrictBool | None = Field(default=None, alias="inbound_enabled")
    outbound_enabled: StrictBool | None = Field(default=None, alias="outbound_enabled")

    def to_body(self) -> dict[str, Any]:
        """Only the fields that were given, under their wire keys."""
        return self.model_dump(by_alias=True, exclude_unset=True)


EDITABLE_FIELDS: Final[tuple[str, ...]] = tuple(AssistantFields.model_fields)


def wire_key(field: str) -> str:
    """The JSON key of one of our field names."""
    alias = AssistantFields.model_fields[field].alias
    return alias or field


class Assistant(BaseModel):
    """An assistant as Talkturo returns it."""

    model_config = _RECORD

    id: str = Field(alias="id")
    account_id: str | None = Field(default=None, alias="account_id")
    template: str | None = Field(default=None, alias="type")
    name: str | None = Field(default=None, alias="name")
    provider: str | None = Field(default=None, alias="provider")
    model: str | None = Field(default=None, alias="model")
    temperature: float | None = Field(default=None, alias="temperature")
    max_tokens: int | None = Field(default=None, alias="max_tokens")
    first_message: str | None = Field(default=None, alias="first_message")
    system_prompt: str | None = Field(default=None, alias="system_prompt")
    voice_provider: str | None = Field(default=None, alias="voice_provider")
    voice_model: str | None = Field(default=None, alias="voice_model")
    voice_id: str | None = Field(default=None, alias="voice_id")
    voice_name: str | None = Field(default=None, alias="voice_name")
    stt_provider: str | None = Field(default=None, alias="stt_provider")
    stt_model: str | None = Field(default=None, alias="stt_model")
    language: str | None = Field(default=None, alias="language")
    recording_enabled: bool | None = Field(default=None, alias="recording_enabled")
    inbound_enabled: bool | None = Field(default=None, alias="inbound_enabled")
    outbound_enabled: bool | None = Field(default=None, alias="outbound_enabled")
    created_at: str | None = Field(default=None, alias="created_at")
    updated_at: str | None = Field(default=None, alias="updated_at")

    def to_wire(self) -> dict[str, Any]:
        """Back to the JSON Talkturo sent, unknown keys included."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def value(self, field: str) -> Any:
        return getattr(self, field, None)


class PhoneNumber(BaseModel):
    """A phone-number record; assignment uses `id`, never the E.164 string."""

    model_config = _RECORD

    id: str = Field(alias="id")
    phone_number: str | None = Field(default=None, alias="phone_number")
    status: str | None = Field(default=None, alias="status")
    assistant_id: str | None = Field(default=None, alias="assistant_id")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)
