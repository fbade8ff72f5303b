"""/forget: delete everything the bot keeps about the user, after a confirmation button.

Each feature deletes its own rows (and cancels its own timers) on the core's "forget" event; this
feature owns only the conversation and the core's rows, so no feature reaches into another's tables.
"""

from __future__ import annotations

from bot.account import retention
from bot.core.coach import Coach, Incoming
from bot.core.reply import Button, Reply

PREFIX = "forget"


def register(coach: Coach) -> None:
    """Wire /forget and its `forget:yes` / `forget:no` buttons, and the daily retention timer."""
    texts = coach.kb.texts
    retention.register(coach)

    @coach.command("forget", "Delete everything I keep about you")
    def confirm(msg: Incoming, args: str) -> list[Reply]:
        """Ask first: the buttons say yes and no in full, so no stray tap deletes anything."""
        yes = Button(texts["button_forget_yes"], f"{PREFIX}:yes", destructive=True)
        no = Button(texts["button_forget_no"], f"{PREFIX}:no")
        return [Reply.plain(texts["forget_confirm"], [[yes, no]])]

    @coach.button(PREFIX)
    def answer(msg: Incoming, payload: str) -> list[Reply]:
        """Yes deletes (each feature its rows, then the user and their questions); no keeps it all."""
        if payload == "no":
            return [Reply.plain(texts["forget_kept"])]
        if payload != "yes":
            return coach.stale()
        replies = coach.emit("forget", msg.user_id, {})
        coach.store.forget_user(msg.user_id)
        return [*replies, Reply.plain(texts["forget_done"])]
