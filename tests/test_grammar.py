"""`bot.grammar.parse`: good inputs, bad inputs with their messages, and a fuzz that it never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import grammar
from bot.fields import ALL_KEYS, BY_NAME
from bot.grammar import (
    SUBCOMMANDS,
    USAGE,
    Assign,
    Command,
    Connect,
    Create,
    Disconnect,
    Edit,
    Help,
    List,
    Notify,
    Numbers,
    ParseError,
    Permissions,
    Set,
    Show,
    Status,
    Unassign,
    parse,
)
from bot.talkturo.models import TEMPLATES, AssistantFields

GOOD: list[tuple[str, Command]] = [
    # help and bare sub-commands, any case
    ("", Help(topic=None)),
    ("   ", Help(topic=None)),
    ("help", Help(topic=None)),
    ("HELP Set", Help(topic="set")),
    ("connect", Connect()),
    ("Status", Status()),
    ("disconnect", Disconnect()),
    ("list", List()),
    # create
    ("create", Create(name=None, template=None)),
    ("create Sales Agent EU", Create(name="Sales Agent EU", template=None)),
    ('create "Sales Agent" --template follow-up', Create(name="Sales Agent", template="follow-up")),
    ("create --template=Inbound-Support Front desk", Create(name="Front desk", template="inbound-support")),
    ("create -t custom", Create(name=None, template="custom")),
    ("create “Q3 Setter 🚀” -t outbound-setter", Create(name="Q3 Setter 🚀", template="outbound-setter")),
    # assistants: IDs, quoted names, unquoted words, apostrophes, smart quotes, entities
    ("show asst_01jexample", Show(assistant="asst_01jexample")),
    ("show 3f2a1c9e-8d4b-4e1a-9c7f-0b1d2e3f4a5b", Show(assistant="3f2a1c9e-8d4b-4e1a-9c7f-0b1d2e3f4a5b")),
    ('show "Sales Agent EU"', Show(assistant="Sales Agent EU")),
    ("show 'Sales Agent EU'", Show(assistant="Sales Agent EU")),
    ("show “Sales Agent EU”", Show(assistant="Sales Agent EU")),
    ("show ‘Sales Agent EU’", Show(assistant="Sales Agent EU")),
    ("show Sales Agent", Show(assistant="Sales Agent")),
    ("show Bob's agent", Show(assistant="Bob's agent")),
    ("show 'O'Brien desk'", Show(assistant="O'Brien desk")),
    ("show Agent #1", Show(assistant="Agent #1")),
    ("show R&amp;D &lt;b&gt;bot&lt;/b&gt; *x*", Show(assistant="R&D <b>bot</b> *x*")),
    ("show &amp;lt;", Show(assistant="&lt;")),
    ("edit Ünïcødé 日本語", Edit(assistant="Ünïcødé 日本語")),
    ("unassign asst_1", Unassign(assistant="asst_1")),
    ("numbers payload agent", Numbers(assistant="payload agent")),
    # set
    (
        'set x temp=0.3 inbound=on max_tokens=256 prompt="Be brief"',
        Set(
            assistant="x",
            changes={
                "temperature": 0.3,
                "inbound_enabled": True,
                "max_tokens": 256,
                "system_prompt": "Be brief",
            },
        ),
    ),
    ('set "Sales Agent" temperature = 1', Set(assistant="Sales Agent", changes={"temperature": 1.0})),
    ("set x temp =0 TOKENS= 12", Set(assistant="x", changes={"temperature": 0.0, "max_tokens": 12})),
    ("set x temperature=.5e0", Set(assistant="x", changes={"temperature": 0.5})),
    ("set x max-tokens=+007", Set(assistant="x", changes={"max_tokens": 7})),
    ("set x max_tokens=1000000", Set(assistant="x", changes={"max_tokens": 1_000_000})),
    (
        "set x recording=Disabled outbound=YES inbound=0",
        Set(
            assistant="x",
            changes={"recording_enabled": False, "outbound_enabled": True, "inbound_enabled": False},
        ),
    ),
    (
        "set x llm=OpenAI tts=ElevenLabs",
        Set(assistant="x", changes={"provider": "openai", "voice_provider": "elevenlabs"}),
    ),
    ("set x model=gpt-4o lang=en-US", Set(assistant="x", changes={"model": "gpt-4o", "language": "en-US"})),
    (
        "set x greeting=\"\" voice_name=''",
        Set(assistant="x", changes={"first_message": "", "voice_name": ""}),
    ),
    ('set x name="  New name "', Set(assistant="x", changes={"name": "New name"})),
    (
        "set x prompt=“Say ‘hi’, then the payload: #1 &amp; &lt;b&gt;bold&lt;/b&gt;”",
        Set(assistant="x", changes={"system_prompt": "Say 'hi', then the payload: #1 & <b>bold</b>"}),
    ),
    (
        'set x prompt="a=b \\"quoted\\" C:\\dir"',
        Set(assistant="x", changes={"system_prompt": 'a=b "quoted" C:\\dir'}),
    ),
    (
        'set x prompt="Ask <@U123|bob> in <#C9|sales>, see <https://x.io/a?b=1&amp;c=2|x.io>"',
        Set(assistant="x", changes={"system_prompt": "Ask @bob in #sales, see x.io"}),
    ),
    ("set x first_message=Hello!", Set(assistant="x", changes={"first_message": "Hello!"})),
    # assign
    ("assign x", Assign(assistant="x", numbers=())),
    ("assign x pn_3f2a +14155550100", Assign(assistant="x", numbers=("pn_3f2a", "+14155550100"))),
    (
        'assign "Sales Agent" <tel:+14155550100|+1 415 555 0100>, "+1 (415) 555-0100" pn_1,pn_2 pn_1',
        Assign(assistant="Sales Agent", numbers=("+14155550100", "pn_1", "pn_2")),
    ),
    ("assign x +1-415-555-0199", Assign(assistant="x", numbers=("+14155550199",))),
    # notify
    ("notify", Notify(channel_id=None, clear=False)),
    ("notify <#C0123ABC|sales-alerts>", Notify(channel_id="C0123ABC", clear=False)),
    ("notify <#C0123ABC>", Notify(channel_id="C0123ABC", clear=False)),
    ("notify OFF", Notify(channel_id=None, clear=True)),
    # permissions
    ("permissions", Permissions(mode="show")),
    ("permissions Everyone", Permissions(mode="everyone")),
    (
        "permissions <@U1|alice> <@W2>, <!subteam^S9|@sales-team> <@U1>",
        Permissions(mode="only", users=("U1", "W2"), groups=("S9",)),
    ),
    ("permissions only <!subteam^S9>", Permissions(mode="only", groups=("S9",))),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_parses(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_every_subcommand_is_covered() -> None:
    parsed = {type(command) for _, command in GOOD}
    assert len(parsed) == len(SUBCOMMANDS) == len(USAGE)
    assert {cls.name for cls in parsed if cls is not Create} | {"create"} == set(SUBCOMMANDS)


def test_ten_thousand_character_prompt_is_accepted() -> None:
    prompt = "p" * 10_000
    assert parse(f'set x prompt="{prompt}"') == Set(assistant="x", changes={"system_prompt": prompt})


BAD: list[tuple[str, tuple[str, ...]]] = [
    ("shwo x", ("`shwo`", "Did you mean `show`?", "`/talkturo help`")),
    ("frobnicate", ("`frobnicate`", "`/talkturo help`")),
    ("help sett", ("Did you mean `set`?",)),
    ("list all", ("`list` takes nothing", "`all`")),
    ('show "Sales Agent', ("closing quote is missing", "`Sales Agent`")),
    ("set x prompt='Be brief", ("closing quote is missing",)),
    ("show", ("`show` needs an assistant", '`/talkturo show "Sales Agent"`')),
    ('show ""', ("can't be empty",)),
    ('show "Sales" Agent', ("one pair of quotes",)),
    ("set", ("`set` needs an assistant",)),
    ("set x", ("at least one `key=value`",)),
    ("set temperature=0.3", ("assistant before the changes",)),
    ("set Sales Agent temp=1", ("`Agent` is not a `key=value` pair", "quotes")),
    ("set x prompt=Be brief", ("`brief` is not a `key=value` pair", '`prompt="..."`')),
    ("set x =3", ("no setting name",)),
    ("set x tempreature=1", ("no setting `tempreature`", "Did you mean `temperature`?", "max_tokens")),
    ("set x inbond=on", ("Did you mean `inbound_enabled`?",)),
    ("set x temp=1 temperature=0.5", ("given twice", "`temp`", "`temperature`")),
    ("set x temperature=3", ("from 0 to 2", "got `3`")),
    ("set x temperature=-0.1", ("from 0 to 2",)),
    ("set x temperature=abc", ("must be a number", "got `abc`")),
    ("set x temperature=nan", ("must be a number", "`nan`")),
    ("set x temperature=inf", ("must be a number",)),
    ("set x temperature=1e400", ("must be a number", "`1e400`")),
    ("set x temperature=0,5", ("dot", "`temperature=0.5`")),
    ("set x temperature=", ("needs a value",)),
    ("set x max_tokens=0", ("from 1 to 1,000,000", "got `0`")),
    ("set x max_tokens=-3", ("from 1 to 1,000,000",)),
    ("set x max_tokens=1000001", ("from 1 to 1,000,000",)),
    ("set x max_tokens=" + "9" * 5000, ("from 1 to 1,000,000",)),
    ("set x max_tokens=1.5", ("whole number", "got `1.5`")),
    ("set x max_tokens=12abc", ("whole number",)),
    ("set x max_tokens=١٢", ("whole number",)),  # Arabic-Indic digits
    ("set x inbound=maybe", ("`inbound_enabled` must be `on` or `off`", "`maybe`")),
    ("set x model=", ("`model` needs a value",)),
    ('set x model=""', ("`model` needs a value",)),
    ("set x prompt=", ('`system_prompt=""` clears it',)),
    ('set x name=""', ("name can't be empty",)),
    ("set x name=   ", ("name can't be empty",)),
    ('set x name="' + "n" * 201 + '"', ("limit is 200",)),
    ('set x prompt="' + "p" * 10_001 + '"', ("`system_prompt` is 10,001 characters", "limit is 10,000")),
    ("assign", ("`assign` needs an assistant",)),
    ("assign +14155550100", ("assistant before the numbers",)),
    ("assign x +1 415 555 0100", ("`+1` is not a phone number",)),
    ("assign x 4155550100", ("international form",)),
    ("assign Sales Agent pn_1", ("`Agent` is not a phone number", "quote it")),
    ("assign x pn_1 call!me", ("`call!me` is not a phone number",)),
    (
        "create -t outbund-setter",
        ("no template `outbund-setter`", "Did you mean `outbound-setter`?", "follow-up"),
    ),
    ("create x --template", ("needs a value",)),
    ("create x -t custom -t custom", ("only once",)),
    ("create x --tmplate custom", ("Unknown option `--tmplate`",)),
    ("create " + "n" * 201, ("limit is 200",)),
    ("notify #general", ("picked with `#`", "`#general`")),
    ("notify <@U1|bob>", ("picked with `#`",)),
    ("permissions alice", ("`alice` is not a person", "@-mention")),
    ("permissions everyone <@U1>", ("`everyone` is not a person",)),
    ("permissions only", ("Say who",)),
    ("<!channel> x", ("`&lt;!channel&gt;`",)),
    ("&lt;!here&gt;", ("`&lt;!here&gt;`",)),
]


@pytest.mark.parametrize(("text", "fragments"), BAD)
def test_rejects_with_a_specific_message(text: str, fragments: tuple[str, ...]) -> None:
    result = parse(text)
    assert isinstance(result, ParseError), result
    for fragment in fragments:
        assert fragment in result.message
    _assert_clean(result.message)


def test_echoed_user_text_cannot_mention_or_break_code_spans() -> None:
    result = parse("shwo`<!channel>` " + "x" * 500)
    assert isinstance(result, ParseError)
    assert "<!channel>" not in result.message
    assert len(result.message) < 300


def test_model_validation_errors_are_retold_in_plain_words() -> None:
    with pytest.raises(grammar._Reject) as caught:
        grammar._validated({"temperature": "hot"})
    _assert_clean(caught.value.message)
    assert "`temperature`" in caught.value.message


def _assert_clean(message: str) -> None:
    assert message.strip()
    assert len(message) <= 3000
    for noise in ("Traceback", "ValidationError", "pydantic", "<_", "object at 0x"):
        assert noise not in message


# --- fuzz -----------------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        *SUBCOMMANDS,
        *ALL_KEYS,
        *TEMPLATES,
        "--template",
        "--template=",
        "-t",
        "=",
        '"',
        "'",
        "“",
        "”",
        "‘",
        "’",
        "\\",
        ",",
        "&amp;",
        "&lt;",
        "&gt;",
        "<@U1|a>",
        "<@U2>",
        "<#C1|c>",
        "<!subteam^S1|@g>",
        "<!here>",
        "<tel:+14155550100|+1 415 555 0100>",
        "<tel:12|x>",
        "<https://x.io|x>",
        "<",
        ">",
        "|",
        "payload",
        "everyone",
        "only",
        "off",
        "on",
        "nan",
        "1e400",
        "0,5",
        "-0",
        "1.5",
        "+14155550100",
        "pn_1",
        "\n",
        "\x00",
    ]
)
_NEAR_VALID = st.lists(st.one_of(_WORDS, st.text(max_size=6)), max_size=12).flatmap(
    lambda parts: st.lists(st.sampled_from([" ", "", "="]), min_size=len(parts), max_size=len(parts)).map(
        lambda seps: "".join(part + sep for part, sep in zip(parts, seps, strict=True))
    )
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), _NEAR_VALID))
def test_parse_never_raises(text: str) -> None:
    result = parse(text)
    if isinstance(result, ParseError):
        _assert_clean(result.message)
        return
    assert result.name in SUBCOMMANDS or isinstance(result, Create)
    if isinstance(result, Set):
        assert result.changes and set(result.changes) <= set(BY_NAME)
        AssistantFields.model_validate(result.changes)
