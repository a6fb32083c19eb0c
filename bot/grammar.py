"""`/talkturo ...` text -> typed command objects. Pure: no I/O, and `parse` never raises.

Slack sends the text with `&`, `<` and `>` escaped and with mentions, channels, user groups and
auto-linked URLs or phone numbers as `<...>` control sequences. Those are recognised first, the rest
is unescaped, then tokenised shell-style (double, single and smart quotes) and parsed per sub-command.

`ParseError.message` is Slack mrkdwn ready to send: any user text it quotes is escaped again.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Literal, TypeAlias

from pydantic import ValidationError

from bot.fields import ALL_KEYS, FIELDS, FieldSpec, Kind, lookup
from bot.talkturo.models import TEMPLATES, AssistantFields

# --- public command objects -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Help:
    name: ClassVar[str] = "help"
    topic: str | None = None


@dataclass(frozen=True, kw_only=True)
class Connect:
    name: ClassVar[str] = "connect"


@dataclass(frozen=True, kw_only=True)
class Status:
    name: ClassVar[str] = "status"


@dataclass(frozen=True, kw_only=True)
class Disconnect:
    name: ClassVar[str] = "disconnect"


@dataclass(frozen=True, kw_only=True)
class Create:
    # The one command whose `name` is data (the new assistant's name), not the sub-command word.
    name: str | None = None
    template: str | None = None


@dataclass(frozen=True, kw_only=True)
class Show:
    name: ClassVar[str] = "show"
    assistant: str


@dataclass(frozen=True, kw_only=True)
class Edit:
    name: ClassVar[str] = "edit"
    assistant: str


@dataclass(frozen=True, kw_only=True)
class Set:
    name: ClassVar[str] = "set"
    assistant: str
    changes: dict[str, object]  # keyed by field name, values typed


@dataclass(frozen=True, kw_only=True)
class Assign:
    name: ClassVar[str] = "assign"
    assistant: str
    numbers: tuple[str, ...] = ()  # record IDs or E.164; empty: let the user pick


@dataclass(frozen=True, kw_only=True)
class Unassign:
    name: ClassVar[str] = "unassign"
    assistant: str


@dataclass(frozen=True, kw_only=True)
class Numbers:
    name: ClassVar[str] = "numbers"
    assistant: str


@dataclass(frozen=True, kw_only=True)
class List:
    name: ClassVar[str] = "list"


@dataclass(frozen=True, kw_only=True)
class Notify:
    name: ClassVar[str] = "notify"
    channel_id: str | None = None
    clear: bool = False


PermissionMode: TypeAlias = Literal["show", "everyone", "only"]


@dataclass(frozen=True, kw_only=True)
class Permissions:
    name: ClassVar[str] = "permissions"
    mode: PermissionMode
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


Command: TypeAlias = (
    Help
    | Connect
    | Status
    | Disconnect
    | Create
    | Show
    | Edit
    | Set
    | Assign
    | Unassign
    | Numbers
    | List
    | Notify
    | Permissions
)


@dataclass(frozen=True)
class ParseError:
    message: str


# --- the sub-commands, one source for help and error messages ----------------------------------------

USAGE: Final[dict[str, str]] = {
    "help": "`/talkturo help [sub-command]`, e.g. `/talkturo help set`",
    "connect": "`/talkturo connect`",
    "status": "`/talkturo status`",
    "disconnect": "`/talkturo disconnect`",
    "create": (
        '`/talkturo create [NAME] [--template T]`, e.g. `/talkturo create "Sales Agent" -t outbound-setter`'
    ),
    "show": '`/talkturo show ASSISTANT`, e.g. `/talkturo show "Sales Agent"` or `/talkturo show asst_01j...`',
    "edit": '`/talkturo edit ASSISTANT`, e.g. `/talkturo edit "Sales Agent"`',
    "set": (
        "`/talkturo set ASSISTANT key=value ...`, "
        'e.g. `/talkturo set "Sales Agent" temperature=0.3 prompt="Be brief"`'
    ),
    "assign": '`/talkturo assign ASSISTANT [NUMBER ...]`, e.g. `/talkturo assign "Sales Agent" +14155550100`',
    "unassign": '`/talkturo unassign ASSISTANT`, e.g. `/talkturo unassign "Sales Agent"`',
    "numbers": '`/talkturo numbers ASSISTANT`, e.g. `/talkturo numbers "Sales Agent"`',
    "list": "`/talkturo list`",
    "notify": "`/talkturo notify [#channel | off]`, e.g. `/talkturo notify #sales-alerts`",
    "permissions": (
        "`/talkturo permissions [everyone | @user @group ...]`, "
        "e.g. `/talkturo permissions @alice @sales-team`"
    ),
}
SUBCOMMANDS: Final[tuple[str, ...]] = tuple(USAGE)

MAX_NAME_LENGTH: Final = 200
MAX_TEXT_LENGTH: Final = 10_000
MAX_INTEGER: Final = 1_000_000
# Text fields that `key=""` may set to the empty string; the rest need a value.
_CLEARABLE: Final = frozenset({"first_message", "system_prompt", "voice_name"})
_TRUE: Final = frozenset({"on", "true", "yes", "1", "enabled"})
_FALSE: Final = frozenset({"off", "false", "no", "0", "disabled"})
_NOTIFY_OFF: Final = frozenset({"off", "none", "clear"})
_ECHO_LIMIT: Final = 60  # keeps every message far below Slack's 3000-character section limit

# ASCII-only digits: `\d` and int() also accept other scripts' digits.
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+")
_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_PHONE_NOISE_RE: Final = re.compile(r"[\s().-]")
_RECORD_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{3,64}")
_SLACK_ID_RE: Final = re.compile(r"[A-Z0-9]{2,}")
_CONTROL_RE: Final = re.compile(r"<([^<>]*)>")
_ENTITY_RE: Final = re.compile(r"&(amp|lt|gt);")
_ENTITIES: Final = {"amp": "&", "lt": "<", "gt": ">"}
_SMART_QUOTES: Final = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_QUOTES: Final = "\"'"


class _Reject(Exception):
    """Raised inside the parser; `parse` turns it into a ParseError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _code(text: str) -> str:
    """User text shown in a message: shortened, on one line, mrkdwn-escaped, in backticks."""
    if len(text) > _ECHO_LIMIT:
        text = text[: _ECHO_LIMIT - 1] + "…"
    text = " ".join(text.replace("`", "'").split()) or " "
    return "`" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "`"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word.lower(), list(choices), n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


def _usage(sub: str) -> str:
    return f"Usage: {USAGE[sub]}"


# --- Slack control sequences and entities -----------------------------------------------------------

SpecialKind: TypeAlias = Literal["user", "channel", "group", "link", "other"]


@dataclass(frozen=True)
class _Special:
    """One `<...>` sequence from Slack: a mention, channel, user group, link or other."""

    kind: SpecialKind
    value: str  # the Slack ID, or the URL of a link
    label: str  # what the user typed, as far as it is known


# (prefix inside `<...>`, kind, what the label is shown after)
_ID_SPECIALS: Final[tuple[tuple[str, SpecialKind, str], ...]] = (
    ("@", "user", "@"),
    ("#", "channel", "#"),
    ("!subteam^", "group", ""),
)


def _unescape(text: str) -> str:
    # One pass, so `&amp;lt;` becomes `&lt;` and not `<`.
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)


def _special(content: str) -> _Special:
    body, _, label = content.partition("|")
    body, label = _unescape(body), _unescape(label)
    for prefix, kind, shown in _ID_SPECIALS:
        ident = body.removeprefix(prefix)
        if body.startswith(prefix) and _SLACK_ID_RE.fullmatch(ident):
            return _Special(kind, ident, shown + label if label else f"<{body}>")
    if ":" in body and not body.startswith("!"):
        return _Special("link", body, label or body)
    return _Special("other", body, label or f"<{body}>")


def _segments(text: str) -> list[str | _Special]:
    """The text split into single characters (unescaped, smart quotes made plain) and specials."""
    items: list[str | _Special] = []
    start = 0
    for match in _CONTROL_RE.finditer(text):
        items.extend(_unescape(text[start : match.start()]).translate(_SMART_QUOTES))
        items.append(_special(match.group(1)))
        start = match.end()
    items.extend(_unescape(text[start:]).translate(_SMART_QUOTES))
    return items


# --- tokens ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    text: str
    quoted: bool = False
    special: _Special | None = None


def _kept(pieces: Iterable[_Piece]) -> tuple[_Piece, ...]:
    """Drops the empty unquoted leftovers of splitting; `""` stays, it is an explicit empty value."""
    return tuple(piece for piece in pieces if piece.text or piece.quoted or piece.special)


@dataclass(frozen=True)
class _Token:
    pieces: tuple[_Piece, ...]

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)

    @property
    def quoted(self) -> bool:
        return any(piece.quoted for piece in self.pieces)

    @property
    def special(self) -> _Special | None:
        """The special this token is made of, alone and unquoted."""
        return self.pieces[0].special if len(self.pieces) == 1 else None

    def split_at_equals(self) -> tuple[_Token, _Token] | None:
        """(key, value) around the first `=` outside quotes, or None without one."""
        for index, piece in enumerate(self.pieces):
            if piece.quoted or piece.special or "=" not in piece.text:
                continue
            key, _, value = piece.text.partition("=")
            head = (*self.pieces[:index], _Piece(key))
            tail = (_Piece(value), *self.pieces[index + 1 :])
            return _Token(_kept(head)), _Token(_kept(tail))
        return None


class _Tokenizer:
    """Shell-like splitting on whitespace with "..." and '...' quoting.

    Unlike shlex it treats `#` as text, knows Slack specials, and opens a quote only at the start of a
    token or right after `=`, so apostrophes in `Bob's agent` need no quoting. Inside quotes a
    backslash escapes only the quote character and itself, so Windows paths survive.
    """

    def __init__(self, items: Sequence[str | _Special]) -> None:
        self.items = items
        self.tokens: list[_Token] = []
        self.pieces: list[_Piece] = []
        self.buffer: list[str] = []

    def run(self) -> list[_Token]:
        index = 0
        while index < len(self.items):
            item = self.items[index]
            if isinstance(item, _Special):
                self._flush()
                self.pieces.append(_Piece(item.label, special=item))
            elif item.isspace():
                self._end_token()
            elif item in _QUOTES and self._quote_may_open():
                index = self._quoted(index)
            else:
                self.buffer.append(item)
            index += 1
        self._end_token()
        return self.tokens

    def _quote_may_open(self) -> bool:
        at_start = not self.buffer and not self.pieces
        return at_start or self.buffer[-1:] == ["="]

    def _quoted(self, start: int) -> int:
        """Read a quoted section opening at `start`; returns the index of its closing quote."""
        self._flush()
        quote = self.items[start]
        text: list[str] = []
        index = start + 1
        while index < len(self.items):
            item = self.items[index]
            following = self.items[index + 1] if index + 1 < len(self.items) else None
            if isinstance(item, _Special):
                text.append(item.label)
            elif item == "\\" and following in (quote, "\\"):
                text.append(str(following))
                index += 1
            elif item == quote and not self._is_apostrophe(index):
                self.pieces.append(_Piece("".join(text), quoted=True))
                return index
            else:
                text.append(item)
            index += 1
        raise _Reject(
            f"A closing quote is missing after {_code(''.join(text))}. "
            'Put names and values with spaces in a pair of quotes, e.g. `"Sales Agent"`.'
        )

    def _is_apostrophe(self, index: int) -> bool:
        """A `'` between two letters (`O'Brien`) does not close a single-quoted section."""
        if self.items[index] != "'" or index + 1 >= len(self.items):
            return False
        before, after = self.items[index - 1], self.items[index + 1]
        return isinstance(before, str) and isinstance(after, str) and before.isalnum() and after.isalnum()

    def _flush(self) -> None:
        if self.buffer:
            self.pieces.append(_Piece("".join(self.buffer)))
            self.buffer = []

    def _end_token(self) -> None:
        self._flush()
        if self.pieces:
            self.tokens.append(_Token(tuple(self.pieces)))
            self.pieces = []


def _tokenize(text: str) -> list[_Token]:
    return _Tokenizer(_segments(text)).run()


def _split_commas(tokens: Sequence[_Token]) -> list[_Token]:
    """Lists may be written `a, b` or `a,b`: unquoted commas separate items too."""
    result: list[_Token] = []
    for token in tokens:
        pieces: list[_Piece] = []
        for piece in token.pieces:
            if piece.quoted or piece.special or "," not in piece.text:
                pieces.append(piece)
                continue
            first, *others = piece.text.split(",")
            pieces.append(_Piece(first))
            for part in others:
                result.append(_Token(_kept(pieces)))
                pieces = [_Piece(part)]
        result.append(_Token(_kept(pieces)))
    return [token for token in result if token.pieces]


# --- arguments shared by several sub-commands --------------------------------------------------------


def _no_arguments(sub: str, args: Sequence[_Token]) -> None:
    if args:
        raise _Reject(f"`{sub}` takes nothing after it; got {_code(args[0].text)}. {_usage(sub)}")


def _checked_name(text: str, what: str) -> str:
    name = text.strip()
    if not name:
        raise _Reject(f"The {what} can't be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise _Reject(f"The {what} is {len(name):,} characters long; the limit is {MAX_NAME_LENGTH}.")
    return name


def _assistant_words(sub: str, args: Sequence[_Token]) -> str:
    """`show Sales Agent` works unquoted: the remaining words are the name."""
    if not args:
        raise _Reject(f"`{sub}` needs an assistant name or ID. {_usage(sub)}")
    if len(args) > 1 and args[0].quoted:
        raise _Reject(
            f"Unexpected {_code(args[1].text)} after the quoted assistant name. "
            f"Put the whole name in one pair of quotes. {_usage(sub)}"
        )
    return _checked_name(" ".join(arg.text for arg in args), "assistant name")


def _assistant_token(sub: str, args: Sequence[_Token], after: str) -> str:
    """For `set` and `assign`: the assistant is one token, since `after` follows it."""
    if not args:
        raise _Reject(f"`{sub}` needs an assistant name or ID, then {after}. {_usage(sub)}")
    return _checked_name(args[0].text, "assistant name")


def _help(args: Sequence[_Token]) -> Help:
    if not args:
        return Help()
    topic = args[0].text.lower()
    if topic not in SUBCOMMANDS:
        raise _Reject(
            f"There is no help on {_code(topic)}.{_did_you_mean(topic, SUBCOMMANDS)} "
            f"Topics: {', '.join(SUBCOMMANDS)}. {_usage('help')}"
        )
    return Help(topic=topic)


# --- create ------------------------------------------------------------------------------------------


def _template(value: str) -> str:
    template = value.strip().lower()
    if template not in TEMPLATES:
        raise _Reject(
            f"There is no template {_code(value)}.{_did_you_mean(template, TEMPLATES)} "
            f"Templates: {', '.join(TEMPLATES)}. {_usage('create')}"
        )
    return template


def _template_option(token: _Token) -> tuple[bool, str | None]:
    """(is it a template option, its inline `=value` if any)."""
    if token.quoted or token.special:
        return False, None
    option, equals, value = token.text.partition("=")
    if option.lower() in ("--template", "-t"):
        return True, value if equals else None
    if token.text.startswith("--"):
        raise _Reject(f"Unknown option {_code(option)}; `create` knows only `--template`. {_usage('create')}")
    return False, None


def _create(args: Sequence[_Token]) -> Create:
    words: list[str] = []
    template: str | None = None
    index = 0
    while index < len(args):
        is_option, value = _template_option(args[index])
        if not is_option:
            words.append(args[index].text)
        else:
            if value is None:
                index += 1
                if index == len(args):
                    raise _Reject(f"`--template` needs a value. Templates: {', '.join(TEMPLATES)}.")
                value = args[index].text
            if template is not None:
                raise _Reject("Give `--template` only once.")
            template = _template(value)
        index += 1
    name = " ".join(words)
    # `create ""` is the same as no name: the modal asks for one.
    return Create(name=_checked_name(name, "name") if name.strip() else None, template=template)


# --- set ---------------------------------------------------------------------------------------------


def _pairs(tokens: Sequence[_Token]) -> list[tuple[str, _Token]]:
    """`key=value`, `key = value`, `key =value` and `key= value`, each as (key, value token)."""
    pairs: list[tuple[str, _Token]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        split = token.split_at_equals()
        if split is None:
            following = tokens[index].split_at_equals() if index < len(tokens) else None
            if following is None or following[0].pieces:
                raise _Reject(_stray_word(token, pairs))
            split = (token, following[1])  # `key =value` or `key = value`
            index += 1
        key, value = split
        if not key.text:
            raise _Reject(
                "A `=` has no setting name before it. Write pairs as `key=value`, e.g. `temperature=0.3`."
            )
        if not value.pieces and index < len(tokens) and tokens[index].split_at_equals() is None:
            value = tokens[index]  # `key= value`
            index += 1
        pairs.append((key.text, value))
    return pairs


def _stray_word(token: _Token, pairs: Sequence[tuple[str, _Token]]) -> str:
    if pairs:
        key = pairs[-1][0]
        return (
            f"{_code(token.text)} is not a `key=value` pair. If it belongs to the value of `{key}`, "
            f'put the whole value in quotes, e.g. `{key}="..."`.'
        )
    return (
        f"{_code(token.text)} is not a `key=value` pair. If it is part of the assistant name, "
        f"put the whole name in quotes. {_usage('set')}"
    )


def _field(key: str) -> FieldSpec:
    spec = lookup(key)
    if spec is None:
        close = difflib.get_close_matches(key.strip().lower(), ALL_KEYS, n=1)
        hint = "" if not close else f" Did you mean `{_field(close[0]).name}`?"
        names = ", ".join(known.name for known in FIELDS)
        raise _Reject(f"There is no setting {_code(key)}.{hint} Settings: {names}.")
    return spec


def _boolean(spec: FieldSpec, text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _Reject(f"`{spec.name}` must be `on` or `off` (also yes/no, true/false); got {_code(text)}.")


def _decimal(spec: FieldSpec, text: str) -> float:
    low, high = spec.minimum, spec.maximum
    bounds = f" from {low:g} to {high:g}" if low is not None and high is not None else ""
    example = f"e.g. `{spec.name}=0.7`"
    word = text.strip()
    if _DECIMAL_RE.fullmatch(word.replace(",", ".")) and "," in word:
        raise _Reject(f"`{spec.name}` uses a dot for decimals: `{spec.name}={word.replace(',', '.')}`.")
    if not _DECIMAL_RE.fullmatch(word):
        raise _Reject(f"`{spec.name}` must be a number{bounds}, {example}; got {_code(text)}.")
    number = float(word) + 0.0  # `+ 0.0` turns -0.0 into 0.0
    out_of_range = (low is not None and number < low) or (high is not None and number > high)
    if not math.isfinite(number) or out_of_range:
        raise _Reject(f"`{spec.name}` must be a number{bounds}, {example}; got {_code(text)}.")
    return number


def _integer(spec: FieldSpec, text: str) -> int:
    low = int(spec.minimum) if spec.minimum is not None else 0
    high = int(spec.maximum) if spec.maximum is not None else MAX_INTEGER
    word = text.strip()
    if not _INTEGER_RE.fullmatch(word):
        raise _Reject(f"`{spec.name}` must be a whole number, e.g. `{spec.name}=256`; got {_code(text)}.")
    # Digits are counted before int(), which refuses very long strings.
    digits = word.lstrip("+-").lstrip("0") or "0"
    number = int(digits) if len(digits) <= len(str(high)) else high + 1
    if word.startswith("-"):
        number = -number
    if not low <= number <= high:
        raise _Reject(f"`{spec.name}` must be from {low:,} to {high:,}; got {_code(text)}.")
    return number


def _text(spec: FieldSpec, value: _Token) -> str:
    text = value.text
    if spec.name == "name":
        return _checked_name(text, "name")
    if len(text) > MAX_TEXT_LENGTH:
        raise _Reject(f"`{spec.name}` is {len(text):,} characters long; the limit is {MAX_TEXT_LENGTH:,}.")
    if spec.name in _CLEARABLE and value.quoted:
        return text
    if not text.strip():
        clear = f' (`{spec.name}=""` clears it)' if spec.name in _CLEARABLE else ""
        raise _Reject(f'`{spec.name}` needs a value, e.g. `{spec.name}="..."`{clear}.')
    return text.strip().lower() if spec.kind is Kind.CHOICE else text


def _typed(spec: FieldSpec, value: _Token) -> object:
    if spec.kind in (Kind.BOOLEAN, Kind.DECIMAL, Kind.INTEGER) and not value.text.strip():
        raise _Reject(f"`{spec.name}` needs a value after `=`.")
    if spec.kind is Kind.BOOLEAN:
        return _boolean(spec, value.text)
    if spec.kind is Kind.DECIMAL:
        return _decimal(spec, value.text)
    if spec.kind is Kind.INTEGER:
        return _integer(spec, value.text)
    return _text(spec, value)


def _validated(changes: dict[str, object]) -> None:
    """The model's own rules have the last word; its errors are retold in plain words."""
    try:
        AssistantFields.model_validate(changes)
    except ValidationError as error:
        # A union type reports one issue per member: keep the first per field.
        first: dict[str, str] = {}
        for issue in error.errors(include_url=False, include_input=False):
            first.setdefault(str(issue["loc"][0]) if issue["loc"] else "value", issue["msg"].lower())
        problems = "; ".join(f"`{field}`: {message}" for field, message in first.items())
        raise _Reject(f"Some values are not accepted: {problems}.") from None


def _set(args: Sequence[_Token]) -> Set:
    if args and args[0].split_at_equals() is not None:
        raise _Reject(f"`set` needs the assistant before the changes. {_usage('set')}")
    assistant = _assistant_token("set", args, "`key=value` pairs")
    pairs = _pairs(args[1:])
    if not pairs:
        raise _Reject(f"`set` needs at least one `key=value` after the assistant. {_usage('set')}")
    changes: dict[str, object] = {}
    given_as: dict[str, str] = {}
    for key, value in pairs:
        spec = _field(key)
        if spec.name in changes:
            raise _Reject(
                f"`{spec.name}` is given twice (as {_code(given_as[spec.name])} and {_code(key)}); "
                "give each setting once."
            )
        changes[spec.name] = _typed(spec, value)
        given_as[spec.name] = key
    _validated(changes)
    return Set(assistant=assistant, changes=changes)


# --- assign, notify, permissions ---------------------------------------------------------------------


def _number(token: _Token) -> str:
    """A phone-number record ID, or an E.164 number (spaces, dashes, dots, brackets allowed)."""
    special = token.special
    if special is not None and special.kind == "link" and special.value.lower().startswith("tel:"):
        text = special.value[len("tel:") :]
    else:
        text = token.text
    compact = _PHONE_NOISE_RE.sub("", text)
    if _E164_RE.fullmatch(compact):
        return compact
    if compact.isdigit():
        raise _Reject(
            f"Write phone numbers in international form with `+` and the country code, "
            f"e.g. `+14155550100`; got {_code(token.text)}."
        )
    # Every record ID (UUID, `pn_...`) has a digit; a plain word is more likely part of a name.
    if special is None and _RECORD_ID_RE.fullmatch(text) and any(char.isdigit() for char in text):
        return text
    raise _Reject(
        f"{_code(token.text)} is not a phone number or number ID. Numbers look like `+14155550100` "
        f"or `pn_7c9c4f2a61d1`; if the assistant name has spaces, quote it. {_usage('assign')}"
    )


def _assign(args: Sequence[_Token]) -> Assign:
    if args and args[0].special is None and _E164_RE.fullmatch(_PHONE_NOISE_RE.sub("", args[0].text)):
        raise _Reject(f"`assign` needs the assistant before the numbers. {_usage('assign')}")
    assistant = _assistant_token("assign", args, "the numbers")
    numbers = (_number(token) for token in _split_commas(args[1:]))
    return Assign(assistant=assistant, numbers=tuple(dict.fromkeys(numbers)))


def _notify(args: Sequence[_Token]) -> Notify:
    if not args:
        return Notify()
    if len(args) == 1 and args[0].text.lower() in _NOTIFY_OFF and not args[0].quoted:
        return Notify(clear=True)
    special = args[0].special
    if len(args) == 1 and special is not None and special.kind == "channel":
        return Notify(channel_id=special.value)
    raise _Reject(
        f"`notify` takes one channel, picked with `#` so Slack links it, or `off`; "
        f"got {_code(' '.join(arg.text for arg in args))}. {_usage('notify')}"
    )


def _permissions(args: Sequence[_Token]) -> Permissions:
    if not args:
        return Permissions(mode="show")
    first = args[0].text.lower() if args[0].special is None else None
    if first == "everyone" and len(args) == 1:
        return Permissions(mode="everyone")
    users: list[str] = []
    groups: list[str] = []
    # `only` before the mentions is allowed, as in "only @alice".
    for token in _split_commas(args[1:] if first == "only" else args):
        special = token.special
        if special is not None and special.kind == "user":
            users.append(special.value)
        elif special is not None and special.kind == "group":
            groups.append(special.value)
        else:
            raise _Reject(
                f"{_code(token.text)} is not a person or user group. @-mention them so Slack "
                f"links them, or use `everyone`. {_usage('permissions')}"
            )
    if not users and not groups:
        raise _Reject(f"Say who may use the bot after `only`. {_usage('permissions')}")
    return Permissions(mode="only", users=tuple(dict.fromkeys(users)), groups=tuple(dict.fromkeys(groups)))


# --- entry point -------------------------------------------------------------------------------------

_HANDLERS: Final[dict[str, Callable[[Sequence[_Token]], Command]]] = {
    "help": _help,
    "create": _create,
    "show": lambda args: Show(assistant=_assistant_words("show", args)),
    "edit": lambda args: Edit(assistant=_assistant_words("edit", args)),
    "set": _set,
    "assign": _assign,
    "unassign": lambda args: Unassign(assistant=_assistant_words("unassign", args)),
    "numbers": lambda args: Numbers(assistant=_assistant_words("numbers", args)),
    "notify": _notify,
    "permissions": _permissions,
}
# Sub-commands that take nothing after them.
_BARE: Final[dict[str, Command]] = {
    "connect": Connect(),
    "status": Status(),
    "disconnect": Disconnect(),
    "list": List(),
}
assert set(_HANDLERS) | set(_BARE) == set(SUBCOMMANDS), "every sub-command needs a parser"


def _command(tokens: Sequence[_Token]) -> Command:
    if not tokens:
        return Help()
    word, args = tokens[0].text.lower(), tokens[1:]
    if word in _BARE:
        _no_arguments(word, args)
        return _BARE[word]
    handler = _HANDLERS.get(word)
    if handler is None:
        raise _Reject(
            f"I don't know the sub-command {_code(word)}.{_did_you_mean(word, SUBCOMMANDS)} "
            "See `/talkturo help` for what I can do."
        )
    return handler(args)


def parse(text: str) -> Command | ParseError:
    """The text after `/talkturo`, as Slack sends it, as a command or a message saying what is wrong."""
    try:
        return _command(_tokenize(text))
    except _Reject as error:
        return ParseError(error.message)
