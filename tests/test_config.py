"""The settings table: one default per setting, each documented in README.md with that default, and
bad values refused with the variable's name."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import SETTINGS, Config, ConfigError, Setting
from bot.knowledge.base import DEFAULT_DIR

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_config_field_has_exactly_one_setting() -> None:
    assert sorted(s.field for s in SETTINGS) == sorted(f.name for f in dataclasses.fields(Config))
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(Config))  # no second default


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.env for s in SETTINGS])
def test_every_setting_is_in_the_readme_table_with_its_default(setting: Setting) -> None:
    row = re.search(rf"^\| `{setting.env}` \| ([^|]*) \|", README, flags=re.M)
    assert row, f"README's settings table has no row for {setting.env}"
    shown = row.group(1).strip()
    assert (f"`{setting.default}`" in shown) if setting.default else not shown.startswith("`"), shown


def test_defaults_parse_and_empty_means_unset() -> None:
    defaults = Config.from_env({})
    assert defaults == Config.from_env({s.env: "" for s in SETTINGS})
    assert defaults.knowledge == DEFAULT_DIR and defaults.db == Path("hamcoach.db")
    assert defaults.feed_minutes == 30 and defaults.webhook_listen == ("127.0.0.1", 8080)


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("HAMCOACH_LOG_LEVEL", "LOUD"),
        ("HAMCOACH_API_BASE_URL", "ftp://x"),
        ("HAMCOACH_ADMIN_IDS", "12,abc"),
        ("HAMCOACH_FEED_MINUTES", "0"),
        ("HAMCOACH_BROADCAST_RATE", "fast"),
        ("HAMCOACH_CHECKIN_GRACE_HOURS", "-1"),
        ("HAMCOACH_VOICE_MAX_SECONDS", "nan"),
    ],
)
def test_bad_values_name_their_variable(env: str, value: str) -> None:
    with pytest.raises(ConfigError, match=env):
        Config.from_env({env: value})


@given(st.text(max_size=40))
def test_any_number_setting_is_a_positive_number_or_a_named_error(value: str) -> None:
    try:
        config = Config.from_env({"HAMCOACH_FEED_MINUTES": value})
    except ConfigError as exc:
        assert "HAMCOACH_FEED_MINUTES" in str(exc)
    else:
        assert config.feed_minutes > 0


def test_the_deploy_example_names_every_setting() -> None:
    example = (Path(__file__).resolve().parent.parent / "deploy" / "hamcoach.env.example").read_text()
    for setting in SETTINGS:
        assert re.search(rf"^#? ?{setting.env}=", example, flags=re.M), setting.env
