"""The API key: ``AIMLAPI_KEY`` wins; otherwise the OS keychain. Never a plain file.

keyring is imported when the keychain is first needed: it loads its backends at import
(70 ms), which the app's start should not wait for.
"""

from __future__ import annotations

import os
import re

from aiml3d_desktop.core.common.errors import ConfigError

ENV_VAR = "AIMLAPI_KEY"
SERVICE = "aiml3d-desktop"
ACCOUNT = "aimlapi-key"

# On a machine with no keychain the key lives here, for this process only.
_session_key: str | None = None
# The last key read from or written to the keychain, so that log redaction never has to ask.
_seen_key: str | None = None


def get_key() -> str | None:
    """The key to use, or None. Reading the keychain may prompt the user on some systems."""
    return env_key() or stored_key()


def env_key() -> str | None:
    return os.environ.get(ENV_VAR, "").strip() or None


def stored_key() -> str | None:
    """The key saved by Settings (or ``aiml3d key set``): this session's, or the keychain's."""
    return _session_key or _keychain_key()


def _keychain_key() -> str | None:
    import keyring
    from keyring.errors import KeyringError

    global _seen_key
    try:
        _seen_key = keyring.get_password(SERVICE, ACCOUNT) or None
    except KeyringError:
        return None
    return _seen_key


def known_secret() -> str | None:
    """The key if this process has already seen it, without asking the keychain."""
    return os.environ.get(ENV_VAR, "").strip() or _session_key or _seen_key


def key_source() -> str:
    """Where the key in use comes from, for Settings and ``aiml3d key status``."""
    if env_key():
        return "environment"
    if _session_key:
        return "session"
    return "keychain" if _keychain_key() else "none"


def set_key(key: str) -> str:
    """Store the key in the keychain; returns where it went: 'keychain', or 'session' when
    this machine has no keychain and the key is kept in memory for this process only."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    global _session_key, _seen_key
    key = key.strip()
    if not key:
        raise ConfigError("The API key is empty")
    check(key)
    try:
        keyring.set_password(SERVICE, ACCOUNT, key)
    except NoKeyringError:
        _session_key = key
        return "session"
    except KeyringError as exc:
        _session_key = key
        raise ConfigError(
            f"The OS keychain refused the key ({type(exc).__name__})",
            hint="It is kept for this session only; unlock the keychain to save it.",
        ) from None
    _session_key, _seen_key = None, key
    return "keychain"


def delete_key() -> str:
    """Forget the saved key; returns where it was: 'keychain', 'session' or 'none'."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    global _session_key, _seen_key
    where = "session" if _session_key else "none"
    _session_key = _seen_key = None
    try:
        keyring.delete_password(SERVICE, ACCOUNT)
    except (PasswordDeleteError, NoKeyringError):
        return where
    except KeyringError as exc:
        raise ConfigError(
            f"The OS keychain refused to remove the key ({type(exc).__name__})",
            hint="Unlock the keychain and try again.",
        ) from None
    return "keychain"


def check(key: str) -> str:
    """``key`` if it can be an API key: it goes into a request header as it is, so spaces,
    line breaks and letters outside plain ASCII would break the request (or smuggle in a
    header)."""
    if not re.fullmatch(r"[\x21-\x7e]+", key):
        raise ConfigError(
            "The API key holds characters an API key never has (spaces, line breaks or "
            "letters outside plain ASCII)",
            hint="Copy it again from your AIML account, then save it in Settings.",
        )
    return key


def mask(key: str | None) -> str:
    """What may be shown of a key: its last four characters."""
    if not key:
        return "(none)"
    return "•" * 8 + key[-4:] if len(key) > 8 else "•" * 8
