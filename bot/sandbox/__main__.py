"""Run the sandbox with uvicorn.

python -m bot.sandbox --port 8765 [--host H] [--account slug:token ...] [--latency-ms M]
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from .app import create_app
from .state import DEMO_SLUG, DEMO_TOKEN, SandboxState

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description="Local Talkturo API sandbox")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="SLUG:TOKEN",
        help=f"an account to create (repeatable); default: {DEMO_SLUG}:{DEMO_TOKEN}",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added delay for every API call")
    args = parser.parse_args(argv)

    state = SandboxState()
    try:
        for spec in args.account:
            slug, _, token = str(spec).partition(":")
            if not slug or not token:
                parser.error("--account wants SLUG:TOKEN, both non-empty")
            state.add_account(slug, token=token)
        if not args.account:
            state.add_account(DEMO_SLUG, token=DEMO_TOKEN)
        state.set_latency(args.latency_ms / 1000)
    except ValueError as exc:
        parser.error(str(exc))

    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/api"
    if args.account:
        # Tokens given on the command line are the caller's secrets: never echo them.
        print(f"Talkturo sandbox at {url} (accounts: {', '.join(state.accounts)})", flush=True)
    else:
        print(f"Talkturo sandbox at {url} (account {DEMO_SLUG!r}, token {DEMO_TOKEN})", flush=True)
    if args.host not in _LOOPBACK:
        print(
            "warning: the /_sandbox control routes have no auth; keep the sandbox on loopback",
            file=sys.stderr,
        )
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
