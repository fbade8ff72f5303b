"""Next-session reminders as a conversation feature: /reminders, the `rm:*` buttons and timers, a
text hook for days and a time typed or said after the offer, and its rows deleted on "forget".

It reads the next session through `coach.training` and the user's clock through `coach.local_time`,
so it imports no other feature.
"""

from __future__ import annotations

from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply
from bot.reminders import views
from bot.reminders.rules import ReminderRules
from bot.reminders.schedule import Rule, parse_rule
from bot.reminders.service import ReminderService
from bot.reminders.store import ReminderStore

OFF_WORDS = {"off", "stop", "none", "no"}


class ReminderHandlers:
    """Entry points; the service does the work."""

    def __init__(self, coach: Coach, service: ReminderService) -> None:
        self.coach = coach
        self.service = service

    def command(self, msg: Incoming, args: str) -> list[Reply]:
        """/reminders [on | off | DAYS TIME]: without words, what is set and the buttons to change it."""
        words = args.strip().lower()
        if not words:
            return self.service.show(msg)
        if words in OFF_WORDS:
            return self.service.turn_off(msg)
        if words in ("on", "change"):
            return self.service.offer(msg)
        rule = parse_rule(words)
        if rule is None:
            return [views.offer(self.service.rules, self.per_week(msg), False), *self.bad()]
        return self.service.set_rule(msg, rule)

    def per_week(self, msg: Incoming) -> int:
        return self.coach.training.upcoming(msg.user_id).per_week

    def bad(self) -> list[Reply]:
        return views.say(self.service.rules, "bad")

    def on_button(self, msg: Incoming, payload: str) -> list[Reply]:
        """`rm:offer`, `rm:set:DAYS:HHMM`, `rm:go|z|k:ID`, `rm:off`, `rm:show`; anything else is stale."""
        action, _, rest = payload.partition(":")
        if action == "set":
            rule = Rule.from_code(rest)
            return self.service.set_rule(msg, rule) if rule else self.coach.stale()
        by_id = {"go": self.service.start, "z": self.service.snooze, "k": self.service.skip}
        if action in by_id and rest.isdigit():
            return by_id[action](msg, int(rest))
        simple = {"offer": self.service.offer, "off": self.service.turn_off, "show": self.service.show}
        handler = simple.get(action)
        return handler(msg) if handler and not rest else self.coach.stale()

    def on_text(self, msg: Incoming) -> list[Reply] | None:
        """Days and a time typed or said while the offer is on screen ("Tuesdays and Fridays 6 pm")."""
        if msg.kind not in ("text", "edited", "voice"):
            return None
        expected = self.coach.expectations.get(msg.chat_id)
        offered = expected is not None and any(
            b.data.startswith(f"{views.PREFIX}:set:") for b in expected.buttons
        )
        rule = parse_rule(msg.text) if offered else None
        return self.service.set_rule(msg, rule) if rule else None

    def on_local_time_changed(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """/timezone or quiet hours changed (the check-in feature says so): move the pending reminder."""
        self.service.refit(user_id)
        return []

    def on_forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Delete only this feature's rows and cancel its jobs; /forget is bot/account's."""
        self.service.forget(user_id)
        return []


def register(coach: Coach, rules: ReminderRules) -> ReminderService:
    """Wire reminders into the coach: /reminders, buttons and timers `rm:*`, the forget listener."""
    service = ReminderService(coach, rules, ReminderStore(coach.store.db))
    handlers = ReminderHandlers(coach, service)
    coach.command("reminders", "Reminders of your next session: show, change, turn off")(handlers.command)
    coach.button(views.PREFIX)(handlers.on_button)
    coach.timers[views.PREFIX] = service.fire
    coach.pending.append(service.pending)
    coach.text_hooks.append(handlers.on_text)
    coach.on("forget", handlers.on_forget)
    coach.on("local_time_changed", handlers.on_local_time_changed)
    return service
