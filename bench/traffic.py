"""What the generator sends: signed Slack requests, built before a phase starts, one per scheduled send.

Every request carries its own key so that what it causes can be found at the Slack fake: a slash command
its own channel (the summary is posted there) and trigger_id (views.open names it); an edit submission
its own channel in the modal's metadata (the change notice goes there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bot.slackfake.payloads import SlackRequests, view_state
from bot.ui.modals import metadata

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Built:
    raw: bytes  # the whole HTTP/1.1 request
    key: str  # what the fake records this request's effect under


def http_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def commands(
    slack: SlackRequests,
    spec: dict[str, Any],
    count: int,
    host: str,
    port: int,
    path: str,
) -> list[Built]:
    """`spec`: text (or texts, taken in turn), user, channel_prefix, key ("channel" or "trigger_id"),
    response_urls (optional, taken in turn)."""
    urls: list[str] = spec.get("response_urls") or []
    texts: list[str] = spec.get("texts") or [spec["text"]]
    out: list[Built] = []
    for i in range(count):
        channel = f"{spec['channel_prefix']}{i:06d}"
        trigger = slack.trigger_id()
        request = slack.command(
            texts[i % len(texts)],
            user_id=spec["user"],
            channel_id=channel,
            response_url=urls[i % len(urls)] if urls else None,
            trigger_id=trigger,
        )
        key = trigger if spec.get("key") == "trigger_id" else channel
        out.append(Built(http_request(host, port, path, request.body, request.headers), key))
    return out


def edit_submissions(
    slack: SlackRequests,
    spec: dict[str, Any],
    count: int,
    host: str,
    port: int,
    path: str,
) -> list[Built]:
    """`spec`: view (the edit modal as the fake shows it), values (block_id -> new value), user,
    channel_prefix, targets ([assistant_id, updated_at] per submission: each assistant is saved once,
    so no submission meets a conflict made by another)."""
    view: dict[str, Any] = spec["view"]
    targets: list[list[str]] = spec["targets"]
    if len(targets) < count:
        raise ValueError(f"{count} submissions need {count} assistants; got {len(targets)}")
    # One submission built the slow way gives the exact envelope; the rest change only what varies.
    first = slack.view_submission(view, spec["values"], user_id=spec["user"])
    template: dict[str, Any] = json.loads(dict(parse_qsl(first.body.decode()))["payload"])
    state = {"values": view_state(view, spec["values"])}
    # The bot's own metadata for the form it opened (for an assistant made the same way), with the
    # assistant and the channel of each submission put in: whatever else the bot keeps there stays.
    shown: dict[str, Any] = json.loads(view.get("private_metadata") or "{}")
    shown.pop("r", None)  # no response_url: the notice goes to the channel
    out: list[Built] = []
    for i in range(count):
        assistant_id, updated_at = targets[i]
        channel = f"{spec['channel_prefix']}{i:06d}"
        meta = {**shown, "a": assistant_id, "c": channel}
        if "u" in meta:
            meta["u"] = updated_at
        submitted = {
            **template["view"],
            "id": f"VB{spec['channel_prefix']}{i:06d}",
            "hash": f"{i}.bench",
            "private_metadata": metadata(**meta),
            "state": state,
        }
        payload = {**template, "trigger_id": slack.trigger_id(), "view": submitted}
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
        headers = {"content-type": FORM, "user-agent": first.headers["user-agent"], **slack.sign(body)}
        out.append(Built(http_request(host, port, path, body, headers), channel))
    return out
