"""Shared fixtures: the fake Telegram Bot API server lives in tests/fakebot."""

import pytest

pytest_plugins = ["tests.fakebot.fixtures"]


# The restart tests that live beside their feature belong to the reliability suite too
# (`pytest -m reliability` runs all of it; tests/reliability/ marks its own).
RESTART_TESTS = ("broadcasts/test_restart.py", "checkins/test_restart.py", "session/test_restart.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.as_posix().endswith(RESTART_TESTS):
            item.add_marker(pytest.mark.reliability)
