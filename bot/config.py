"""Settings from the environment, declared once as (name, default, help) so README can't drift.

tests/test_config.py checks that every setting here is documented in README.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from bot.knowledge.base import DEFAULT_DIR


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "", "Token from @BotFather; only `hamcoach run` needs it. Never logged."),
    Setting("HAMCOACH_DB", "hamcoach.db", "SQLite database file."),
    Setting("HAMCOACH_KNOWLEDGE", str(DEFAULT_DIR), "Knowledge folder (YAML)."),
    Setting(
        "HAMCOACH_API_BASE_URL",
        "",
        "Bot API base URL for a self-hosted server, e.g. http://127.0.0.1:8081/bot.",
    ),
    Setting("HAMCOACH_LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting("HAMCOACH_ADMIN_IDS", "", "Comma-separated Telegram user ids allowed to /broadcast."),
    Setting(
        "HAMCOACH_FEED_URL", "", "RSS or Atom feed of site updates to broadcast; empty turns the watcher off."
    ),
    Setting("HAMCOACH_FEED_MINUTES", "30", "Minutes between feed polls."),
    Setting(
        "HAMCOACH_BROADCAST_RATE", "25", "Broadcast messages per second, at most (Telegram allows about 30)."
    ),
    Setting(
        "HAMCOACH_CHECKIN_GRACE_HOURS",
        "6",
        "A check-in missed while the bot was down is sent if less late than this.",
    ),
    Setting("HAMCOACH_VOICE_MAX_SECONDS", "60", "Longest voice note transcribed, in seconds."),
    Setting("HAMCOACH_WEBHOOK_URL", "", "Public HTTPS URL for a webhook; empty means long polling."),
    Setting(
        "HAMCOACH_WEBHOOK_SECRET", "", "Secret Telegram sends with each webhook call; required with a URL."
    ),
    Setting("HAMCOACH_WEBHOOK_LISTEN", "127.0.0.1:8080", "host:port the webhook server listens on."),
)


@dataclass(frozen=True)
class Config:
    """All settings, parsed and checked; `token` is excluded from repr so it never reaches a log."""

    db: Path
    knowledge: Path
    api_base_url: str
    log_level: str
    admin_ids: frozenset[int] = frozenset()
    feed_url: str = ""
    feed_minutes: float = 30.0
    broadcast_rate: float = 25.0
    checkin_grace_hours: float = 6.0
    voice_max_seconds: float = 60.0
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8080)
    token: str = ""

    def __repr__(self) -> str:
        hidden = {"token", "webhook_secret"}
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name not in hidden)
        return f"Config({shown}, token={'***' if self.token else ''!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        value = {s.env: env.get(s.env, s.default).strip() for s in SETTINGS}
        level = value["HAMCOACH_LOG_LEVEL"].upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"HAMCOACH_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
        base = value["HAMCOACH_API_BASE_URL"]
        if base and not base.startswith(("http://", "https://")):
            raise ConfigError(f"HAMCOACH_API_BASE_URL must start with http:// or https://, not {base!r}")
        try:
            admins = frozenset(int(x) for x in value["HAMCOACH_ADMIN_IDS"].replace(" ", "").split(",") if x)
        except ValueError as exc:
            raise ConfigError("HAMCOACH_ADMIN_IDS must be comma-separated numeric Telegram user ids") from exc
        url, secret, listen = _webhook(value)
        return cls(
            webhook_url=url,
            webhook_secret=secret,
            webhook_listen=listen,
            admin_ids=admins,
            feed_url=value["HAMCOACH_FEED_URL"],
            feed_minutes=_positive(value, "HAMCOACH_FEED_MINUTES"),
            broadcast_rate=_positive(value, "HAMCOACH_BROADCAST_RATE"),
            checkin_grace_hours=_positive(value, "HAMCOACH_CHECKIN_GRACE_HOURS"),
            voice_max_seconds=_positive(value, "HAMCOACH_VOICE_MAX_SECONDS"),
            db=Path(value["HAMCOACH_DB"] or "hamcoach.db"),
            knowledge=Path(value["HAMCOACH_KNOWLEDGE"] or DEFAULT_DIR),
            api_base_url=base,
            log_level=level,
            token=value["TELEGRAM_BOT_TOKEN"],
        )


def _positive(value: Mapping[str, str], name: str) -> float:
    try:
        number = float(value[name])
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {value[name]!r}") from exc
    if not number > 0:
        raise ConfigError(f"{name} must be greater than 0, not {value[name]!r}")
    return number


SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token


def _webhook(value: Mapping[str, str]) -> tuple[str, str, tuple[str, int]]:
    """(URL, secret, (host, port)) of the webhook settings, checked; Telegram only calls HTTPS URLs and
    a webhook without a secret would take updates from anyone who finds the URL."""
    url, secret = value["HAMCOACH_WEBHOOK_URL"], value["HAMCOACH_WEBHOOK_SECRET"]
    if url and not url.startswith("https://"):
        raise ConfigError(f"HAMCOACH_WEBHOOK_URL must start with https:// (Telegram's rule), not {url!r}")
    if url and not SECRET.match(secret):
        raise ConfigError(
            "HAMCOACH_WEBHOOK_SECRET must be set with a webhook URL: 1-256 letters, digits, _ or -"
        )
    host, _, port = value["HAMCOACH_WEBHOOK_LISTEN"].rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"HAMCOACH_WEBHOOK_LISTEN must be host:port, not {value['HAMCOACH_WEBHOOK_LISTEN']!r}"
        )
    return url, secret, (host, int(port))
