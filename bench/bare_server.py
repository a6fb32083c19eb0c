"""The reference point: the same server stack as `serve` (Starlette under uvicorn, run the same way),
with an endpoint that only verifies Slack's signature and answers 200.

SLACK_SIGNING_SECRET=... python -m bench.bare_server --port N
"""

from __future__ import annotations

import argparse
import os

import uvicorn
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_bare_app(signing_secret: str) -> Starlette:
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        body = await request.body()
        if not verifier.is_valid_request(body, dict(request.headers.items())):
            return Response(status_code=401)
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    app = create_bare_app(os.environ["SLACK_SIGNING_SECRET"])
    # Exactly as bot/__main__.py's `serve` calls it, so only the app differs.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
