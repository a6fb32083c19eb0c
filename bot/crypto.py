"""Encryption at rest for tokens kept in Redis (Talkturo API tokens, Slack bot tokens)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyError_(ValueError):
    """BOT_ENCRYPTION_KEY is not usable; the message says how to make one."""


HOW_TO_MAKE_A_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class TokenCipher:
    """Fernet with rotation: BOT_ENCRYPTION_KEY holds one key, or several separated by commas.

    The first key encrypts; every key decrypts, so a new key can be put first and old records still read.
    """

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise KeyError_(f"BOT_ENCRYPTION_KEY is empty. Make one with: {HOW_TO_MAKE_A_KEY}")
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except ValueError:
            raise KeyError_(
                f"BOT_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes). Make one with: "
                f"{HOW_TO_MAKE_A_KEY}"
            ) from None

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyError_(
                "A stored token cannot be decrypted with BOT_ENCRYPTION_KEY (was the key changed "
                "without keeping the old one after a comma?)."
            ) from None
