"""Reminder replies built from reminders.yaml: the offer, the ping, the settings line. Pure: the
texts and buttons come in, Replies go out."""

from __future__ import annotations

from datetime import datetime, time, tzinfo

from bot.core.reply import Button, Reply
from bot.core.training import Upcoming
from bot.knowledge.texts import fill
from bot.reminders.rules import ReminderRules
from bot.reminders.schedule import Rule

PREFIX = "rm"
MAINTENANCE_WEEK = 11


def rule_text(rules: ReminderRules, rule: Rule) -> str:
    """ "Mon Wed Fri at 18:00", or "every day at 07:30"."""
    at = rule.at.strftime("%H:%M")
    if len(rule.days) == 7:
        return fill(rules.texts["every_day"], time=at)
    return fill(rules.texts["days_at"], days=rule.days_text(), time=at)


def when_text(rules: ReminderRules, when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime(rules.texts["when_format"])


def zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


def offer(rules: ReminderRules, per_week: int, active: bool) -> Reply:
    """The choices for the protocol's sessions a week, one per row (and Turn off when on)."""
    count = rules.texts["once"] if per_week == 1 else fill(rules.texts["many"], n=per_week)
    rows = [
        [Button(rules.labels.get(r.code, rule_text(rules, r)), f"{PREFIX}:set:{r.code}")]
        for r in rules.offered(per_week)
    ]
    if active:
        rows.append([off_button(rules)])
    return Reply.plain(fill(rules.texts["offer"], per_week=count), rows)


def off_button(rules: ReminderRules) -> Button:
    return Button(rules.texts["button_off"], f"{PREFIX}:off", destructive=True)


def settings_line(rules: ReminderRules, key: str, rule: Rule, tz: tzinfo, due: datetime | None) -> str:
    nxt = when_text(rules, due, tz) if due else "-"
    return fill(rules.texts[key], rule=rule_text(rules, rule), zone=zone_name(tz), next=nxt)


def notes(rules: ReminderRules, tz: tzinfo, quiet: tuple[time, time], rule: Rule) -> list[str]:
    """A word on UTC before a time zone is set, and on quiet hours when the time falls inside them."""
    out = []
    if zone_name(tz) == "UTC":
        out.append(rules.texts["no_zone"])
    start, end = quiet
    inside = start != end and (start <= rule.at < end if start < end else rule.at >= start or rule.at < end)
    if inside:
        window = f"{start.strftime('%H:%M')}-{end.strftime('%H:%M')}"
        out.append(fill(rules.texts["quiet_note"], quiet=window))
    return out


def shown(rules: ReminderRules, rule: Rule, tz: tzinfo, due: datetime | None) -> Reply:
    """/reminders when on: the rule, the next one, Change and Turn off."""
    change = Button(rules.texts["button_change"], f"{PREFIX}:offer")
    return Reply.plain(settings_line(rules, "show", rule, tz, due), [[change], [off_button(rules)]])


def ping(rules: ReminderRules, ping_id: int, up: Upcoming, days: int | None) -> Reply:
    """ "Session 2 of week 3: 3 sets of 6-8. Start now?", gentler after a long gap."""
    values = {"index": up.index, "week": up.week, "dose": up.dose, "days": days}
    if days is not None and days >= rules.missed_after_days:
        key = "missed_back" if up.kind == "back" else "missed"
    else:
        key = "ping_maintenance" if up.week >= MAINTENANCE_WEEK else "ping"
    buttons = [
        [Button(rules.texts["button_start"], f"{PREFIX}:go:{ping_id}")],
        [
            Button(rules.texts["button_snooze"], f"{PREFIX}:z:{ping_id}", aside=True),
            Button(rules.texts["button_skip"], f"{PREFIX}:k:{ping_id}", destructive=True),
        ],
    ]
    return Reply.plain(fill(rules.texts[key], values), buttons)


def say(rules: ReminderRules, key: str, **values: object) -> list[Reply]:
    return [Reply.plain(fill(rules.texts[key], values))]
