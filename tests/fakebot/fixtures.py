"""Pytest fixture for the fake Bot API; wire with ``pytest_plugins = ["tests.fakebot.fixtures"]``."""

from collections.abc import Iterator

import pytest

from .server import FakeBotApi


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    """A started server per test, so no state leaks between tests."""
    with FakeBotApi() as api:
        yield api
