"""Shared fixtures: the fake Telegram Bot API server lives in tests/fakebot."""

pytest_plugins = ["tests.fakebot.fixtures"]
