"""Webhook mode: the settings are checked, and the bot's webhook server (bot/adapters/telegram/lifecycle.py)
takes an update only when Telegram's secret header is right, and answers /healthz on the same port."""

from __future__ import annotations

import dataclasses
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.telegram.app import build_application, webhook_options
from bot.adapters.telegram.lifecycle import close_webhook, open_webhook
from bot.config import Config, ConfigError
from tests.fakebot.server import FakeBotApi
from tests.reliability.processes import bot_process, stop
from tests.support import USER, make_config

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_-x"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"HAMCOACH_WEBHOOK_URL": "http://bot.example.test/hook", "HAMCOACH_WEBHOOK_SECRET": "x"}, "https"),
        ({"HAMCOACH_WEBHOOK_URL": "https://bot.example.test/hook"}, "HAMCOACH_WEBHOOK_SECRET"),
        (
            {"HAMCOACH_WEBHOOK_URL": "https://bot.example.test/hook", "HAMCOACH_WEBHOOK_SECRET": "no spaces"},
            "HAMCOACH_WEBHOOK_SECRET",
        ),
        ({"HAMCOACH_WEBHOOK_LISTEN": "8080"}, "HAMCOACH_WEBHOOK_LISTEN"),
        ({"HAMCOACH_WEBHOOK_LISTEN": "0.0.0.0:99999"}, "HAMCOACH_WEBHOOK_LISTEN"),
    ],
)
def test_bad_webhook_settings_are_named(settings: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Config.from_env(settings)


def test_the_secret_is_never_shown() -> None:
    config = Config.from_env(
        {"HAMCOACH_WEBHOOK_URL": "https://bot.example.test/hook", "HAMCOACH_WEBHOOK_SECRET": "hush-42"}
    )
    assert config.webhook_listen == ("127.0.0.1", 8080) and config.webhook_secret == "hush-42"
    assert "hush-42" not in repr(config)


async def test_webhook_takes_updates_only_with_the_secret(fake_api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    config = dataclasses.replace(
        make_config(tmp_path),
        token=fake_api.token,
        api_base_url=fake_api.base_url,
        webhook_url="https://bot.example.test/hamcoach/hook",
        webhook_secret="s3cret_-x",
        webhook_listen=("127.0.0.1", port),
    )
    app = build_application(config, base_file_url=fake_api.base_file_url)
    assert app.updater is None, "webhook mode takes updates through our own server"
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        server = await open_webhook(app, config, webhook_options(config))
        try:
            assert fake_api.webhook_url == config.webhook_url, "setWebhook told Telegram the URL"
            url = f"http://127.0.0.1:{port}/hamcoach/hook"

            async def post(secret: str | None) -> int:
                update: dict[str, Any] = fake_api.make_update_text(USER, "why do my calves cramp")
                headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
                async with httpx.AsyncClient() as client:
                    return (await client.post(url, json=update, headers=headers)).status_code

            assert await post("wrong") == 403
            assert await post(None) == 403
            assert fake_api.sent_messages(USER) == [], "no update without the secret was handled"
            assert await post("s3cret_-x") == 200
            [answer] = await fake_api.wait_for_messages_async(USER, 1)
            assert "toes" in answer["text"].lower()
            async with httpx.AsyncClient() as client:
                healthz = await client.get(f"http://127.0.0.1:{port}/healthz")
                assert await post("s3cret_-x") == 200
                broken = await client.post(url, content=b"{not json", headers=SECRET)
            assert healthz.status_code == 200 and healthz.json()["ok"] is True, healthz.text
            assert set(healthz.json()["heartbeat"]) >= {"alive"}
            assert broken.status_code == 400
        finally:
            await close_webhook(server)
            await app.stop()
    app.bot_data["coach"].store.close()


def test_hamcoach_run_by_webhook_serves_healthz_and_stops_cleanly_on_sigterm(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """The real process: `hamcoach run` with HAMCOACH_WEBHOOK_URL registers the webhook, answers a
    call carrying the secret, serves /healthz on the same port, and on SIGTERM closes the database."""
    port, log = free_port(), tmp_path / "bot.log"
    env = {
        "HAMCOACH_WEBHOOK_URL": "https://bot.example.test/hamcoach/hook",
        "HAMCOACH_WEBHOOK_SECRET": "s3cret_-x",
        "HAMCOACH_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    with bot_process(fake_api, tmp_path / "bot.db", log, **env) as bot:
        fake_api.wait_for(lambda c: c.method == "setWebhook", timeout=60)
        base = f"http://127.0.0.1:{port}"
        update = fake_api.make_update_text(USER, "why do my calves cramp")
        assert httpx.post(f"{base}/hamcoach/hook", json=update, headers=SECRET).status_code == 200
        [answer] = fake_api.wait_for_messages(USER, 1, timeout=30)
        healthz = httpx.get(f"{base}/healthz")
        assert stop(bot, signal.SIGTERM, log) == 0, log.read_text()[-2000:]
    assert "toes" in answer["text"].lower()
    assert healthz.status_code == 200 and healthz.json()["ok"] is True, healthz.text
    assert "database closed" in log.read_text()
