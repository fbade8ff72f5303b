"""The check-in views as pure functions: buttons and their callback data, the /checkins overview, advice."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from bot.checkins import views
from bot.checkins.plan import load_checkins
from bot.checkins.store import CheckinRow, Settings
from bot.knowledge.base import DEFAULT_DIR, Source

PLAN = load_checkins(DEFAULT_DIR)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ROW = CheckinRow(
    id=7,
    user_id=1,
    chat_id=1,
    session_id=1,
    kind="h24",
    offset_hours=24.0,
    finished_at=NOON,
    base_at=NOON + timedelta(hours=24),
    due_at=NOON + timedelta(hours=24),
    status="pending",
    score=None,
    snoozes=0,
    sent_at=None,
    answered_at=None,
)


def test_score_buttons_are_0_to_10_then_snooze_and_stop() -> None:
    rows = views.score_buttons(PLAN, 7)
    assert [[b.label for b in row] for row in rows[:2]] == [
        [str(n) for n in range(6)],
        [str(n) for n in range(6, 11)],
    ]
    assert rows[0][3].data == "ci:s:7:3"
    assert [b.data for b in rows[2]] == ["ci:z:7", "ci:stop"]


def test_a_step_no_longer_in_the_plan_asks_the_first_question() -> None:
    reply = views.question(PLAN, dataclasses.replace(ROW, kind="gone"))
    assert reply.text == views.question(PLAN, ROW).text
    assert reply.labels()[:11] == [str(n) for n in range(11)]


def test_overview_of_a_user_never_asked() -> None:
    reply = views.overview(PLAN, Settings(1), [])
    assert reply.labels() == [PLAN.texts["button_optin"], PLAN.texts["button_timezone"]]
    assert "Time zone: UTC. Quiet hours: 22:00-08:00." in reply.text


def test_overview_opted_in_and_held_lists_local_times_and_offers_fine() -> None:
    settings = Settings(1, tz="Europe/Berlin", quiet_start="23:00", optin=True, held_since=NOON)
    reply = views.overview(PLAN, settings, [ROW])
    assert "• Tue 03 Mar 13:00 (24 h)" in reply.text
    assert "Quiet hours: 23:00-08:00" in reply.text
    assert PLAN.texts["held_line"] in reply.text
    assert reply.labels() == [
        PLAN.texts["button_stop"],
        PLAN.texts["button_timezone"],
        PLAN.texts["button_fine"],
    ]


def test_advice_names_known_sources_then_rest_then_the_hold() -> None:
    sources = {"cheung-2003": Source("cheung-2003", "Cheung 2003")}
    replies = views.advice(PLAN, sources, 8, "Thanks: 8/10.", rest=True, held=True)
    assert replies[0].text.startswith("Thanks: 8/10.")
    assert replies[0].text.endswith("Source: Cheung 2003")  # general-safety is not in `sources`
    assert [r.text for r in replies[1:]] == [PLAN.heavy_twice, PLAN.texts["held_line"]]
    assert replies[2].labels() == [PLAN.texts["button_fine"]]
    [plain] = views.advice(PLAN, {}, 2, "Thanks: 2/10.", rest=False, held=False)
    assert "Source" not in plain.text


def test_every_callback_fits_telegrams_64_bytes() -> None:
    buttons = [
        *views.score_buttons(PLAN, 10**12),
        *views.timezone_buttons(PLAN),
        *views.fine_button(PLAN),
        *views.overview(PLAN, Settings(1, optin=True), []).buttons,
    ]
    assert all(len(b.data.encode()) <= 64 for row in buttons for b in row)
    zones = [b.data for row in views.timezone_buttons(PLAN) for b in row]
    assert zones == [f"ci:tz:{z}" for z in PLAN.timezone_buttons]
