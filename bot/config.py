"""Settings from the environment, declared once as (variable, field, default, parser, help).

`SETTINGS` is the only place a default lives: `Config` has no defaults of its own, and
tests/test_config.py checks that README.md's table lists every variable with the same default.
An empty variable counts as unset.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bot.knowledge.base import DEFAULT_DIR


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


Parser = Callable[[str, str], object]  # (variable name, raw text) -> value, or ConfigError


def text(name: str, raw: str) -> str:
    return raw


def path(name: str, raw: str) -> Path:
    return Path(raw)


def knowledge_folder(name: str, raw: str) -> Path:
    """Empty means the knowledge shipped inside the package."""
    return Path(raw) if raw else DEFAULT_DIR


def positive(name: str, raw: str) -> float:
    try:
        number = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc
    if not number > 0:
        raise ConfigError(f"{name} must be greater than 0, not {raw!r}")
    return number


def at_least_one(name: str, raw: str) -> float:
    number = positive(name, raw)
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, not {raw!r}")
    return number


def log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{name} must be DEBUG, INFO, WARNING or ERROR, not {raw!r}")
    return level


def voice_backend(name: str, raw: str) -> str:
    backend = raw.lower()
    if backend not in {"whisper", "pocketsphinx"}:
        raise ConfigError(f"{name} must be whisper or pocketsphinx, not {raw!r}")
    return backend


def http_url(name: str, raw: str) -> str:
    if raw and not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://, not {raw!r}")
    return raw


def workers(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) > 8:
        raise ConfigError(f"{name} must be a whole number from 0 to 8, not {raw!r}")
    return int(raw)


def https_url(name: str, raw: str) -> str:
    if raw and not raw.startswith("https://"):
        raise ConfigError(f"{name} must start with https:// (Telegram's rule), not {raw!r}")
    return raw


def user_ids(name: str, raw: str) -> frozenset[int]:
    try:
        return frozenset(int(x) for x in raw.replace(" ", "").split(",") if x)
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated numeric Telegram user ids") from exc


SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token


def webhook_secret(name: str, raw: str) -> str:
    if raw and not SECRET.match(raw):
        raise ConfigError(f"{name} must be 1-256 letters, digits, _ or -")
    return raw


def host_port(name: str, raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must be host:port, not {raw!r}")
    return host, int(port)


@dataclass(frozen=True)
class Setting:
    env: str
    field: str  # the Config attribute it sets
    default: str  # as the environment would spell it; "" means none
    parse: Parser
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TELEGRAM_BOT_TOKEN",
        "token",
        "",
        text,
        "Token from @BotFather; only `hamcoach run` needs it. Never logged.",
    ),
    Setting("HAMCOACH_DB", "db", "hamcoach.db", path, "SQLite database file."),
    Setting(
        "HAMCOACH_KNOWLEDGE",
        "knowledge",
        "",
        knowledge_folder,
        "Knowledge folder (YAML); empty means the one shipped inside the package.",
    ),
    Setting(
        "HAMCOACH_API_BASE_URL",
        "api_base_url",
        "",
        http_url,
        "Bot API base URL for a self-hosted server, e.g. http://127.0.0.1:8081/bot.",
    ),
    Setting("HAMCOACH_LOG_LEVEL", "log_level", "INFO", log_level, "DEBUG, INFO, WARNING or ERROR."),
    Setting(
        "HAMCOACH_ADMIN_IDS",
        "admin_ids",
        "",
        user_ids,
        "Comma-separated Telegram user ids allowed to /broadcast.",
    ),
    Setting(
        "HAMCOACH_FEED_URL",
        "feed_url",
        "",
        text,
        "RSS or Atom feed of site updates to broadcast; empty turns the watcher off.",
    ),
    Setting("HAMCOACH_FEED_MINUTES", "feed_minutes", "30", positive, "Minutes between feed polls."),
    Setting(
        "HAMCOACH_BROADCAST_RATE",
        "broadcast_rate",
        "25",
        positive,
        "Broadcast messages per second, at most (Telegram allows about 30).",
    ),
    Setting(
        "HAMCOACH_CHECKIN_GRACE_HOURS",
        "checkin_grace_hours",
        "6",
        positive,
        "A check-in missed while the bot was down is sent if less late than this.",
    ),
    Setting(
        "HAMCOACH_RETENTION_DAYS",
        "retention_days",
        "90",
        positive,
        "Days questions and broadcast deliveries are kept; older rows are deleted daily.",
    ),
    Setting(
        "HAMCOACH_VOICE_MAX_SECONDS",
        "voice_max_seconds",
        "60",
        positive,
        "Longest voice note transcribed, in seconds.",
    ),
    Setting(
        "HAMCOACH_VOICE_BACKEND",
        "voice_backend",
        "whisper",
        voice_backend,
        "Speech recogniser: whisper (Whisper tiny.en and base) or pocketsphinx (smaller, less accurate).",
    ),
    Setting(
        "HAMCOACH_VOICE_WORKERS",
        "voice_workers",
        "1",
        workers,
        "Processes hearing voice notes (started with the bot); 0 hears them in the bot's own.",
    ),
    Setting(
        "HAMCOACH_FLOOD_RATE",
        "flood_rate",
        "1",
        positive,
        "Messages a second one user may keep sending; beyond it (and the burst) they are dropped.",
    ),
    Setting(
        "HAMCOACH_FLOOD_BURST",
        "flood_burst",
        "10",
        at_least_one,
        "Messages one user may send at once before the flood guard steps in.",
    ),
    Setting(
        "HAMCOACH_WEBHOOK_URL",
        "webhook_url",
        "",
        https_url,
        "Public HTTPS URL for a webhook; empty means long polling.",
    ),
    Setting(
        "HAMCOACH_WEBHOOK_SECRET",
        "webhook_secret",
        "",
        webhook_secret,
        "Secret Telegram sends with each webhook call; required with a URL. Never logged.",
    ),
    Setting(
        "HAMCOACH_WEBHOOK_LISTEN",
        "webhook_listen",
        "127.0.0.1:8080",
        host_port,
        "host:port the webhook server listens on.",
    ),
    Setting(
        "HAMCOACH_HEALTH_MAX_SECONDS",
        "health_max_seconds",
        "120",
        positive,
        "`hamcoach health` fails when the bot has not heard from Telegram for longer than this.",
    ),
)


@dataclass(frozen=True)
class Config:
    """All settings, parsed and checked; the token and the webhook secret never appear in its repr."""

    token: str
    db: Path
    knowledge: Path
    api_base_url: str
    log_level: str
    admin_ids: frozenset[int]
    feed_url: str
    feed_minutes: float
    broadcast_rate: float
    checkin_grace_hours: float
    retention_days: float
    voice_max_seconds: float
    voice_backend: str
    voice_workers: int
    flood_rate: float
    flood_burst: float
    webhook_url: str
    webhook_secret: str
    webhook_listen: tuple[str, int]
    health_max_seconds: float

    def __repr__(self) -> str:
        hidden = {"token", "webhook_secret"}
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name not in hidden)
        return f"Config({shown}, token={'***' if self.token else ''!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        # Each parser returns its field's type; the table test in tests/test_config.py holds them together.
        values: dict[str, Any] = {
            s.field: s.parse(s.env, env.get(s.env, "").strip() or s.default) for s in SETTINGS
        }
        config = cls(**values)
        if config.webhook_url and not config.webhook_secret:
            # A webhook without a secret would take updates from anyone who finds the URL.
            raise ConfigError("HAMCOACH_WEBHOOK_SECRET must be set with a webhook URL")
        return config
