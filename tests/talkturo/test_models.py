"""Talkturo records survive a round trip through the bot, unknown keys included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bot.talkturo.models import Assistant, AssistantFields, PhoneNumber

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TEXT = st.none() | st.text(max_size=30)


def _wire_keys(model: type[BaseModel]) -> set[str]:
    # Our attribute names are taken too: populate_by_name maps them onto a field.
    return {info.alias or name for name, info in model.model_fields.items()} | set(model.model_fields)


def _records(
    model: type[BaseModel], known: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    taken = _wire_keys(model)
    extras = st.dictionaries(
        st.text(min_size=1, max_size=15).filter(lambda key: key not in taken),
        JSON_VALUES,
        max_size=4,
    )
    return st.builds(
        lambda required, optional, extra: {**required, **optional, **extra},
        st.fixed_dictionaries({"id": st.text(min_size=1, max_size=30)}),
        st.fixed_dictionaries({}, optional=known),
        extras,
    )


ASSISTANT_KNOWN: dict[str, st.SearchStrategy[Any]] = {
    "account_id": TEXT,
    "type": TEXT,
    "name": TEXT,
    "provider": TEXT,
    "model": TEXT,
    "temperature": st.none() | st.floats(min_value=0, max_value=2),
    "max_tokens": st.none() | st.integers(min_value=1, max_value=1_000_000),
    "first_message": TEXT,
    "system_prompt": TEXT,
    "voice_provider": TEXT,
    "voice_model": TEXT,
    "voice_id": TEXT,
    "voice_name": TEXT,
    "stt_provider": TEXT,
    "stt_model": TEXT,
    "language": TEXT,
    "recording_enabled": st.none() | st.booleans(),
    "inbound_enabled": st.none() | st.booleans(),
    "outbound_enabled": st.none() | st.booleans(),
    "created_at": TEXT,
    "updated_at": TEXT,
}
NUMBER_KNOWN: dict[str, st.SearchStrategy[Any]] = {
    "phone_number": TEXT,
    "status": st.none() | st.sampled_from(["purchasing", "active", "suspended", "error"]),
    "assistant_id": TEXT,
}


def test_every_assistant_key_is_covered() -> None:
    assert set(ASSISTANT_KNOWN) | {"id"} == {info.alias for info in Assistant.model_fields.values()}
    assert set(NUMBER_KNOWN) | {"id"} == {info.alias for info in PhoneNumber.model_fields.values()}


@given(_records(Assistant, ASSISTANT_KNOWN))
def test_assistant_round_trip_keeps_every_key(record: dict[str, Any]) -> None:
    assert Assistant.model_validate(record).to_wire() == record


@given(_records(PhoneNumber, NUMBER_KNOWN))
def test_phone_number_round_trip_keeps_every_key(record: dict[str, Any]) -> None:
    assert PhoneNumber.model_validate(record).to_wire() == record


def test_assistant_template_is_the_type_key() -> None:
    assistant = Assistant.model_validate({"id": "asst_1", "type": "follow-up"})
    assert assistant.template == "follow-up"
    assert assistant.to_wire() == {"id": "asst_1", "type": "follow-up"}


def test_record_without_id_is_refused() -> None:
    with pytest.raises(ValidationError):
        Assistant.model_validate({"name": "no id"})
    with pytest.raises(ValidationError):
        PhoneNumber.model_validate({"phone_number": "+15550100"})


def test_fields_body_holds_only_given_fields() -> None:
    assert AssistantFields(temperature=0.5, voice_id="v1").to_body() == {"temperature": 0.5, "voice_id": "v1"}
    assert AssistantFields().to_body() == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": 2.5},
        {"temperature": -0.1},
        {"temperature": "0.5"},
        {"temperature": True},
        {"max_tokens": 0},
        {"max_tokens": 1.5},
        {"max_tokens": "10"},
        {"recording_enabled": "yes"},
        {"inbound_enabled": 1},
        {"system_prompt": 5},
        {"name": ""},
        {"unknown_field": "x"},
    ],
)
def test_fields_are_strict(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        AssistantFields.model_validate(changes)
