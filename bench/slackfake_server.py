"""The Slack fake in its own process, with arrival times and counts for the benchmark.

python -m bench.slackfake_server --port N --bot-token xoxb-... [--user UADMIN:admin ...]

Serves `bot.slackfake` (`/api/<method>`, `/response/<n>`) and, for the benchmark only, `/_bench/*`:
- `GET /_bench/stats`: calls per method so far, and how many of them failed.
- `GET /_bench/arrivals?method=M`: {key: monotonic seconds} of the first successful call per key, where
  the key is the channel of a chat.postMessage, the trigger_id of a views.open, the URL of a response_url
  post. `time.monotonic()` is one clock for every process on Linux, so the generator compares it with
  the times it scheduled its requests for.
- `POST /_bench/clear`: forget arrivals, stored messages and views (keeps memory flat between phases).
- `POST /_bench/response_urls` {"n": k}: k fresh response URLs.
- `GET /_bench/view?callback_id=C`: the view shown last with that callback_id.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.slackfake import Call, SlackFake, create_app

# Which parameter of a call names what it answers (the generator gives each request its own).
_KEYS = {"chat.postMessage": "channel", "views.open": "trigger_id", "response_url": "_url"}


class Recorder:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.arrivals: dict[str, dict[str, float]] = {method: {} for method in _KEYS}

    def __call__(self, call: Call) -> None:
        now = time.monotonic()
        self.counts[call.method] += 1
        ok = call.ok or (call.method == "response_url" and call.status == 200)
        if not ok:
            self.failed[call.method] += 1
            return
        param = _KEYS.get(call.method)
        if param is not None:
            key = call.params.get(param)
            if isinstance(key, str):
                self.arrivals[call.method].setdefault(key, now)


def create_bench_app(fake: SlackFake, recorder: Recorder) -> Starlette:
    async def stats(_: Request) -> Response:
        return JSONResponse({"counts": dict(recorder.counts), "failed": dict(recorder.failed)})

    async def arrivals(request: Request) -> Response:
        method = request.query_params.get("method", "chat.postMessage")
        return JSONResponse(recorder.arrivals.get(method, {}))

    async def clear(_: Request) -> Response:
        for found in recorder.arrivals.values():
            found.clear()
        fake.clear()
        fake.messages.clear()
        fake.views.clear()
        return JSONResponse({"ok": True})

    async def response_urls(request: Request) -> Response:
        data: dict[str, Any] = await request.json()
        count = int(data.get("n", 1))
        team = str(data.get("team_id", "T1"))
        return JSONResponse([fake.response_url(team) for _ in range(count)])

    async def view(request: Request) -> Response:
        try:
            return JSONResponse(fake.latest_view(request.query_params.get("callback_id")))
        except AssertionError as error:
            return JSONResponse({"error": str(error)}, status_code=404)

    return Starlette(
        routes=[
            Route("/_bench/stats", stats, methods=["GET"]),
            Route("/_bench/arrivals", arrivals, methods=["GET"]),
            Route("/_bench/clear", clear, methods=["POST"]),
            Route("/_bench/response_urls", response_urls, methods=["POST"]),
            Route("/_bench/view", view, methods=["GET"]),
            Mount("/", app=create_app(fake)),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slackfake_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--team", default="T1")
    parser.add_argument("--bot-token", required=True)
    parser.add_argument("--user", action="append", default=[], metavar="ID:NAME[:admin]")
    args = parser.parse_args(argv)

    # Only the last calls are kept: the benchmark reads arrivals, not the record.
    fake = SlackFake(f"http://{args.host}:{args.port}", keep_calls=1000)
    fake.add_workspace(team_id=args.team, bot_token=args.bot_token, team_name="Bench")
    for spec in args.user:
        user_id, _, rest = str(spec).partition(":")
        name, _, role = rest.partition(":")
        fake.add_user(user_id, args.team, name or user_id.lower(), is_admin=role == "admin")
    recorder = Recorder()
    fake.add_listener(recorder)
    uvicorn.run(create_bench_app(fake, recorder), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
