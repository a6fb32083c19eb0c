#!/usr/bin/env bash
# Install the bot and run it. With Slack settings in the environment it serves Slack for real
# (Socket Mode when SLACK_APP_TOKEN is set, else HTTP); without them it starts `dev`, which embeds
# a Slack-like page, the Talkturo sandbox and, when no Redis answers, an in-memory store.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .

if [ -n "${SLACK_APP_TOKEN:-}" ]; then
    exec .venv/bin/python -m bot socket
elif [ -n "${SLACK_SIGNING_SECRET:-}" ]; then
    exec .venv/bin/python -m bot serve
else
    exec .venv/bin/python -m bot dev "$@"
fi
