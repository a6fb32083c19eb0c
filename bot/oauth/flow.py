"""The Bolt options that make `serve` a multi-workspace app: OAuth settings and a caching authorize."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from bot.app import cipher_for, slack_client
from bot.config import SettingsError
from bot.context import Services
from bot.oauth.installation_store import RedisInstallationStore
from bot.oauth.state_store import RedisOAuthStateStore

# Exactly the bot scopes of manifest.yaml (tests/test_oauth_stores.py compares them); no user scopes.
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "usergroups:read")
INSTALL_PATH = "/slack/install"
REDIRECT_URI_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_SECONDS = 600

log = logging.getLogger("bot.oauth")


def oauth_options(services: Services) -> dict[str, Any]:
    """`oauth_settings` and `authorize` for build_app; both read and write through the bot's Redis."""
    settings = services.settings
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise SettingsError("Missing settings: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth mode).")
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    installations = RedisInstallationStore(services.store.redis, cipher_for(settings), logger=log)
    oauth_settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],  # given, or Bolt would read SLACK_USER_SCOPES
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_URI_PATH,
        installation_store=installations,
        # The app asks for no user tokens: the bot record is all a request needs, one look-up.
        installation_store_bot_only=True,
        state_store=RedisOAuthStateStore(
            services.store.redis, expiration_seconds=STATE_EXPIRATION_SECONDS, logger=log
        ),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=log,
    )
    # The authorize Bolt builds from the settings calls auth.test on every request; this one remembers
    # each token's answer. Token refreshes (oauth.v2.access) go to SLACK_API_URL like every other call.
    authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=client_id,
        client_secret=client_secret,
        bot_only=True,
        cache_enabled=True,
        client=slack_client(services),
    )
    return {"oauth_settings": oauth_settings, "authorize": authorize}
