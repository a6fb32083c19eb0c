"""A catalogue of bad `/talkturo` inputs, each with the specific words its answer must hold.

Every entry is written as Slack sends it (`&`, `<`, `>` escaped, mentions as `<@U…|name>`). This module
checks the grammar answers each one without any I/O; tests/e2e/test_trust_input.py sends the same
catalogue through the bot's real HTTP endpoint and checks that Talkturo hears nothing of it.
"""

from __future__ import annotations

import pytest

from bot.grammar import ParseError, parse

LONG = 10_000

NUMBERS: list[tuple[str, tuple[str, ...]]] = [
    ("set x temperature=2.01", ("`temperature` must be a number from 0 to 2", "got `2.01`")),
    ("set x temperature=3", ("from 0 to 2", "got `3`")),
    ("set x temperature=-0.1", ("from 0 to 2", "got `-0.1`")),
    ("set x temperature=-1e-9", ("from 0 to 2",)),
    ("set x temperature=1e309", ("must be a number", "`1e309`")),
    ("set x temperature=NaN", ("must be a number", "`NaN`")),
    ("set x temperature=-inf", ("must be a number", "`-inf`")),
    ("set x temperature=Infinity", ("must be a number",)),
    ("set x temperature=warm", ("must be a number", "`warm`")),
    ("set x temperature=0x1", ("must be a number", "`0x1`")),
    ("set x temperature=1/2", ("must be a number", "`1/2`")),
    ("set x temperature=0.5.1", ("must be a number", "`0.5.1`")),
    ("set x temperature=1,5", ("uses a dot for decimals", "`temperature=1.5`")),
    ("set x temperature=٠.٥", ("must be a number",)),  # Arabic-Indic digits
    ("set x temperature=０.５", ("must be a number",)),  # full-width digits
    ("set x temperature=½", ("must be a number",)),
    ("set x temperature=", ("`temperature` needs a value",)),
    ('set x temperature=""', ("`temperature` needs a value",)),
    ("set x temp=5", ("`temperature` must be a number from 0 to 2",)),
    ("set x max_tokens=0", ("`max_tokens` must be from 1 to 1,000,000", "got `0`")),
    ("set x max_tokens=-1", ("from 1 to 1,000,000", "got `-1`")),
    ("set x max_tokens=1000001", ("from 1 to 1,000,000",)),
    ("set x max_tokens=" + "9" * 400, ("from 1 to 1,000,000",)),
    ("set x max_tokens=2.5", ("`max_tokens` must be a whole number", "got `2.5`")),
    ("set x max_tokens=1e3", ("whole number", "`1e3`")),
    ("set x max_tokens=lots", ("whole number", "`lots`")),
    ("set x max_tokens=١٠٠", ("whole number",)),
    ("set x max_tokens=１００", ("whole number",)),
    ("set x tokens=", ("`max_tokens` needs a value",)),
    ("set x inbound=maybe", ("`inbound_enabled` must be `on` or `off`", "`maybe`")),
    ("set x recording=2", ("`recording_enabled` must be `on` or `off`", "`2`")),
    ("set x outbound=", ("`outbound_enabled` needs a value",)),
    ("set x inbound=ja", ("must be `on` or `off`", "`ja`")),
]

SIZES: list[tuple[str, tuple[str, ...]]] = [
    ('set x name=""', ("The name can't be empty.",)),
    ("set x name=   ", ("The name can't be empty.",)),
    ('set x model=""', ("`model` needs a value",)),
    ('set x voice_id=""', ("`voice_id` needs a value",)),
    ("set x language=", ("`language` needs a value",)),
    ("set x prompt=", ("`system_prompt` needs a value", '`system_prompt=""` clears it')),
    ('set x system_prompt="' + "p" * (LONG + 1) + '"', ("`system_prompt` is 10,001 characters long",)),
    ('set x first_message="' + "f" * (LONG + 1) + '"', ("`first_message` is 10,001 characters long",)),
    ("set x model=" + "m" * (LONG + 1), ("`model` is 10,001 characters long", "limit is 10,000")),
    ('set x name="' + "n" * LONG + '"', ("The name is 10,000 characters long; the limit is 200.",)),
    ("show " + "s" * LONG, ("The assistant name is 10,000 characters long; the limit is 200.",)),
    ("edit " + "e" * 201, ("The assistant name is 201 characters long",)),
    ("numbers " + "n " * 150, ("The assistant name is 299 characters long",)),
    ("create " + "c" * LONG, ("The name is 10,000 characters long",)),
    ("set " + "a" * 250 + " temperature=1", ("The assistant name is 250 characters long",)),
    ("assign " + "a" * 250 + " +14155550100", ("The assistant name is 250 characters long",)),
    ('show ""', ("The assistant name can't be empty.",)),
    ("show ''", ("The assistant name can't be empty.",)),
    ('unassign "   "', ("The assistant name can't be empty.",)),
    ("show", ("`show` needs an assistant name or ID",)),
    ("edit", ("`edit` needs an assistant name or ID",)),
    ("numbers", ("`numbers` needs an assistant name or ID",)),
    ("unassign", ("`unassign` needs an assistant name or ID",)),
    ("set", ("`set` needs an assistant name or ID",)),
    ("assign", ("`assign` needs an assistant name or ID",)),
    ("set x", ("`set` needs at least one `key=value`",)),
    ("x" * LONG, ("I don't know the sub-command",)),
]

KEYS: list[tuple[str, tuple[str, ...]]] = [
    ("set x colour=red", ("There is no setting `colour`", "Settings: name, first_message")),
    ("set x temprature=0.5", ("There is no setting `temprature`", "Did you mean `temperature`?")),
    ("set x voice-provider=cartesia x=1", ("There is no setting `x`",)),
    ("set x id=asst_other", ("There is no setting `id`",)),
    ("set x account_id=acct_1", ("There is no setting `account_id`",)),
    ("set x accountSlug=other", ("There is no setting `accountSlug`",)),
    ("set x updated_at=now", ("There is no setting `updated_at`",)),
    ("set x __class__=x", ("There is no setting `__class__`",)),
    ("set x 🔥=1", ("There is no setting `🔥`",)),
    ("set x =5", ("A `=` has no setting name before it",)),
    ("set x ==", ("A `=` has no setting name before it",)),
    ("set x temperature=0.5 temperature=0.6", ("`temperature` is given twice",)),
    ("set x temp=0.5 temperature=0.6", ("given twice", "`temp`", "`temperature`")),
    ("set x prompt=a instructions=b", ("`system_prompt` is given twice",)),
    ("set x hello", ("`hello` is not a `key=value` pair", "put the whole name in quotes")),
    ("set x temperature=0.5 loud", ("`loud` is not a `key=value` pair", '`temperature="..."`')),
    ("set temperature=0.5", ("`set` needs the assistant before the changes",)),
    ("create x --tempalte custom", ("Unknown option `--tempalte`",)),
    ("create x --template", ("`--template` needs a value",)),
    ("create x --template bogus", ("There is no template `bogus`", "Templates: outbound-setter")),
    ("create x -t outbound", ("There is no template `outbound`", "Did you mean `outbound-setter`?")),
    ("create x -t custom -t follow-up", ("Give `--template` only once.",)),
    ("create --force x", ("Unknown option `--force`",)),
    ("help bogus", ("There is no help on `bogus`",)),
    ("help sett", ("Did you mean `set`?",)),
    ("lsit", ("I don't know the sub-command `lsit`", "Did you mean `list`?")),
    ("delete x", ("I don't know the sub-command `delete`",)),
    ("rm -rf /", ("I don't know the sub-command `rm`",)),
    ("connect now", ("`connect` takes nothing after it", "`now`")),
    ("status please", ("`status` takes nothing after it",)),
    ("list all", ("`list` takes nothing after it",)),
    ("disconnect --force", ("`disconnect` takes nothing after it",)),
    ("notify #general", ("`notify` takes one channel, picked with `#`",)),
    ("notify <#C1|a> <#C2|b>", ("`notify` takes one channel",)),
    ("notify <@U1|bob>", ("`notify` takes one channel",)),
    ("notify general off", ("`notify` takes one channel",)),
    ("permissions bob", ("`bob` is not a person or user group", "@-mention them")),
    ("permissions only", ("Say who may use the bot after `only`",)),
    ("permissions <#C1|general>", ("is not a person or user group",)),
    ("permissions everyone <@U1|a>", ("`everyone` is not a person or user group",)),
    ("permissions @alice", ("`@alice` is not a person or user group",)),
    ("permissions <!here>", ("is not a person or user group",)),
]

QUOTING: list[tuple[str, tuple[str, ...]]] = [
    ('show "Sales Agent', ("A closing quote is missing after `Sales Agent`",)),
    ("show 'Sales Agent", ("A closing quote is missing",)),
    ('show "Sales" Agent', ("Unexpected `Agent` after the quoted assistant name",)),
    ('set "x temperature=1', ("A closing quote is missing",)),
    ('set x system_prompt="unterminated', ("A closing quote is missing after `unterminated`",)),
    ("set x name='abc", ("A closing quote is missing",)),
    ('set x prompt="a \\" b', ("A closing quote is missing",)),
    ("create “Sales Agent", ("A closing quote is missing",)),
    ('assign "x +14155550100', ("A closing quote is missing",)),
    ('"', ("A closing quote is missing",)),
    ('set x prompt="one" "two"', ("`two` is not a `key=value` pair",)),
    ("set Sales Agent temperature=1", ("`Agent` is not a `key=value` pair",)),
    ("assign Sales Agent +14155550100", ("`Agent` is not a phone number or number ID", "quote it")),
]

UNICODE: list[tuple[str, tuple[str, ...]]] = [
    ("ｓｈｏｗ x", ("I don't know the sub-command",)),
    ("se\u200bt x temperature=1", ("I don't know the sub-command",)),
    ("\u202eteS x", ("I don't know the sub-command",)),
    ("ѕhow x", ("I don't know the sub-command",)),  # Cyrillic ѕ
    ("set x tempéráture=1", ("There is no setting",)),
    ("set x temperature=𝟎.𝟓", ("must be a number",)),  # mathematical digits
    ("assign x +１４１５５５５０１００", ("is not a phone number or number ID",)),
    ("assign x ＋14155550100", ("is not a phone number or number ID",)),
    ("assign x +٤١٥٥٥٥٠١٠٠", ("is not a phone number or number ID",)),
    ("set x inbound=✅", ("must be `on` or `off`",)),
    ("\x00", ("I don't know the sub-command",)),
    ("set x max_tokens=\x00", ("whole number",)),
]

MARKUP: list[tuple[str, tuple[str, ...]]] = [
    ("set x temperature=&lt;b&gt;1&lt;/b&gt;", ("must be a number", "`&lt;b&gt;1&lt;/b&gt;`")),
    ("set x temperature=*1*", ("must be a number", "`*1*`")),
    ("set x max_tokens=`256`", ("whole number",)),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", ("I don't know the sub-command", "&lt;script&gt;")),
    ("<!channel> x", ("`&lt;!channel&gt;`",)),
    ("<!everyone>", ("`&lt;!everyone&gt;`",)),
    ("<@U1|bob> show x", ("I don't know the sub-command",)),
    ("*show* x", ("I don't know the sub-command `*show*`",)),
    ("_list_", ("I don't know the sub-command `_list_`",)),
    ("~status~", ("I don't know the sub-command",)),
    ("create x -t &lt;b&gt;custom&lt;/b&gt;", ("There is no template `&lt;b&gt;custom&lt;/b&gt;`",)),
    ("set x &lt;img src=x&gt;=1", ("`&lt;img` is not a `key=value` pair",)),
    ("assign x <mailto:a@b.io|a@b.io>", ("is not a phone number or number ID",)),
]

PAYLOAD: list[tuple[str, tuple[str, ...]]] = [
    ("payload", ("I don't know the sub-command `payload`",)),
    ("set x payload=1", ("There is no setting `payload`",)),
    ("set x temperature=payload", ("must be a number", "`payload`")),
    ("create payload --template payload", ("There is no template `payload`",)),
    ("set payload", ("`set` needs at least one `key=value`",)),
    ('set x prompt="payload', ("A closing quote is missing after `payload`",)),
    ("help payload", ("There is no help on `payload`",)),
    ("assign x payload", ("`payload` is not a phone number or number ID",)),
    ("notify payload", ("`notify` takes one channel",)),
    ("permissions payload", ("`payload` is not a person or user group",)),
]

PHONES: list[tuple[str, tuple[str, ...]]] = [
    ("assign x 4155550100", ("Write phone numbers in international form with `+`",)),
    ("assign x 004915112345678", ("international form",)),
    ("assign x +0123456789", ("is not a phone number or number ID",)),
    ("assign x +1", ("`+1` is not a phone number or number ID",)),
    ("assign x +1234567890123456", ("is not a phone number or number ID",)),
    ("assign x 555.CALL.NOW", ("is not a phone number or number ID",)),
    ("assign x +1-415-555-01OO", ("is not a phone number or number ID",)),  # letters O, not zeros
    ("assign x abc", ("`abc` is not a phone number or number ID",)),
    ("assign x pn_1 call!me", ("`call!me` is not a phone number or number ID",)),
    ("assign x <tel:12|12>", ("international form",)),
    ("assign +14155550100", ("`assign` needs the assistant before the numbers",)),
    ("assign +1 (415) 555-0100", ("Write phone numbers in international form", "got `(415)`")),
]

CATALOGUE: list[tuple[str, tuple[str, ...]]] = [
    *NUMBERS,
    *SIZES,
    *KEYS,
    *QUOTING,
    *UNICODE,
    *MARKUP,
    *PAYLOAD,
    *PHONES,
]


def check_message(message: str, fragments: tuple[str, ...]) -> None:
    """A clear, specific answer: names what is wrong, quotes the input escaped, and stays short."""
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert 20 <= len(message) <= 1500, message
    assert "<" not in message and ">" not in message, f"unescaped markup: {message}"
    for noise in ("Traceback", "Error:", "ValidationError", "pydantic", "None", "object at 0x"):
        assert noise not in message, message


def test_the_catalogue_is_large_and_has_no_duplicates() -> None:
    texts = [text for text, _ in CATALOGUE]
    assert len(texts) >= 100
    assert len(set(texts)) == len(texts), [t for t in texts if texts.count(t) > 1]


@pytest.mark.parametrize(("text", "fragments"), CATALOGUE, ids=lambda v: v[:40] if isinstance(v, str) else "")
def test_every_bad_input_gets_a_specific_message(text: str, fragments: tuple[str, ...]) -> None:
    result = parse(text)
    assert isinstance(result, ParseError), f"{text[:80]!r} parsed as {result!r}"
    check_message(result.message, fragments)
