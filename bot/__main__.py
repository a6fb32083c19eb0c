"""Command line: `python -m bot serve | socket | dev`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import Settings, SettingsError, require

log = logging.getLogger("bot")


def _check_serving(settings: Settings) -> None:
    """Refuse to start, with one clear message, rather than fail on the first request."""
    from bot.app import cipher_for

    require(settings, "slack_signing_secret")
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        # Half an OAuth setup would otherwise fall back to SLACK_BOT_TOKEN without a word.
        require(settings, "slack_client_id", "slack_client_secret")
    if settings.oauth_enabled and settings.slack_bot_token:
        log.warning("SLACK_BOT_TOKEN is ignored: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET select OAuth mode")
    # OAuth mode keeps each workspace's bot token in Redis (encrypted, so BOT_ENCRYPTION_KEY stays needed).
    if not (settings.slack_bot_token or settings.oauth_enabled):
        raise SettingsError(
            "Missing setting: SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "(install to many workspaces with OAuth). See README.md, Settings."
        )
    cipher_for(settings)


def serve(settings: Settings) -> None:
    import uvicorn

    from bot.server import create_server_app

    _check_serving(settings)
    uvicorn.run(create_server_app(settings), host=settings.host, port=settings.port, log_level="warning")


def socket(settings: Settings) -> None:
    from bot.server import run_socket_mode

    require(settings, "slack_app_token", "slack_bot_token")
    from bot.app import cipher_for

    cipher_for(settings)
    asyncio.run(run_socket_mode(settings))


def dev(settings: Settings, port: int | None) -> None:
    from bot.dev import run_dev

    asyncio.run(run_dev(settings, port=port))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Talkturo for Slack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="HTTP mode for production (uvicorn on HOST:PORT)")
    commands.add_parser("socket", help="Socket Mode: no public URL needed (needs SLACK_APP_TOKEN)")
    dev_parser = commands.add_parser("dev", help="everything embedded on 127.0.0.1, with a browser page")
    dev_parser.add_argument("--port", type=int, default=None, help="port of the page (default 3000)")
    args = parser.parse_args(argv)

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # httpx logs every request at INFO, full URL included (assistant IDs, account slug): a line per
        # Talkturo call, and CPU spent on it. The client logs its own calls at DEBUG, path template only.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            serve(settings)
        elif args.command == "socket":
            socket(settings)
        else:
            dev(settings, args.port)
    except SettingsError as error:
        print(f"talkturo: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
