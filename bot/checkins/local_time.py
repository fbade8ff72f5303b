"""A user's local time for check-ins: their quiet hours (or the plan's), the first moment a check-in
may reach them, and how a time reads to them. The settings row decides; unset means the plan and UTC.
"""

from __future__ import annotations

from datetime import datetime, time

from bot.checkins.plan import CheckinPlan
from bot.checkins.quiet_hours import after_quiet_hours, parse_clock
from bot.checkins.store import Settings
from bot.checkins.timezones import zone


def quiet_window(plan: CheckinPlan, settings: Settings) -> tuple[time, time]:
    """The user's quiet hours (start, end), each falling back to the plan's default."""
    start = parse_clock(settings.quiet_start or "") or plan.quiet_start
    end = parse_clock(settings.quiet_end or "") or plan.quiet_end
    return start, end


def due_time(plan: CheckinPlan, base: datetime, settings: Settings) -> datetime:
    """`base` moved past the user's local quiet hours, in UTC."""
    start, end = quiet_window(plan, settings)
    return after_quiet_hours(base, zone(settings.tz), start, end)


def local_text(plan: CheckinPlan, when: datetime, settings: Settings) -> str:
    """`when` on the user's wall clock, in the plan's `when_format`."""
    return when.astimezone(zone(settings.tz)).strftime(plan.texts["when_format"])
