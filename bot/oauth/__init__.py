"""Multi-workspace install: Bolt's OAuth flow, with installations and states kept in Redis."""

from bot.oauth.flow import BOT_SCOPES, oauth_options
from bot.oauth.installation_store import RedisInstallationStore
from bot.oauth.state_store import RedisOAuthStateStore

__all__ = ["BOT_SCOPES", "RedisInstallationStore", "RedisOAuthStateStore", "oauth_options"]
