"""Site updates in the conversation: /subscribe, /unsubscribe, /updates, and the admins' /broadcast.

The core only decides and records: a broadcast is approved (ledger written) here and a timer
`bc:<id>` is scheduled for now; the adapter that can send (bot/adapters/telegram/broadcasting.py) runs the
async fan-out for that timer prefix. Texts live here, not in knowledge/: they are operator messages,
not coaching content.
"""

from __future__ import annotations

import logging

from bot.broadcasts import ledger
from bot.broadcasts.text import BroadcastTextError, excerpt, prepare
from bot.core.coach import Coach, Due, Incoming, Outgoing
from bot.core.reply import Button, Reply, escape
from bot.storage.database import parse_stamp

log = logging.getLogger(__name__)

SUB = "sub"
BC = "bc"
UPDATES_SHOWN = 3
UPDATE_EXCERPT = 900

EMPTY = (
    "Write the update after the command, for example:\n/broadcast New guide: hip position in the ham raise"
)
BUSY = "Update #{id} is still going out. Try again when it's done (/broadcast_status shows progress)."


class BroadcastFeature:
    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self.store = coach.store

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.coach.config.admin_ids

    def refuse_non_admin(self, msg: Incoming, tried: str) -> list[Reply] | None:
        """The refusal (logged: someone probing admin commands) when the sender is no admin, else None."""
        if self.is_admin(msg.user_id):
            return None
        log.warning("user %d (not an admin) %s", msg.user_id, tried)
        return [Reply.plain(self.coach.kb.texts["not_admin"])]

    # ------------------------------------------------------------------ subscriptions

    def subscribe(self, msg: Incoming) -> list[Reply]:
        changed = ledger.subscribe(self.store, msg.user_id, msg.chat_id, self.coach.clock())
        texts = self.coach.kb.texts
        off = [[Button(texts["button_unsubscribe"], f"{SUB}:off", destructive=True)]]
        return [Reply.plain(texts["subscribed" if changed else "already_subscribed"], off)]

    def unsubscribe(self, msg: Incoming) -> list[Reply]:
        changed = ledger.unsubscribe(self.store, msg.user_id, self.coach.clock())
        return [Reply.plain(self.coach.kb.texts["unsubscribed" if changed else "not_subscribed"])]

    def on_sub_button(self, msg: Incoming, payload: str) -> list[Reply]:
        if payload == "on":
            return self.subscribe(msg)
        if payload == "off":
            return self.unsubscribe(msg)
        return [Reply.plain(self.coach.kb.texts["stale_button"])]

    def updates(self, msg: Incoming, args: str) -> list[Reply]:
        shown = ledger.latest(self.store, UPDATES_SHOWN)
        subscribed = ledger.is_subscribed(self.store, msg.user_id)
        if not shown:
            return [Reply.plain(self.coach.kb.texts["no_updates_subscribed" if subscribed else "no_updates"])]
        blocks = [f"<b>{escape(b.created_at[:10])}</b>\n{excerpt(b.text, UPDATE_EXCERPT)}" for b in shown]
        tail = "" if subscribed else "\n\n/subscribe to get the next one."
        return [Reply("<b>Latest site updates</b>\n\n" + "\n\n".join(blocks) + escape(tail))]

    def forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        ledger.forget(self.store, user_id)
        return []

    def retention(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """The daily retention run: old broadcasts' delivery rows go."""
        before = data.get("before")
        if isinstance(before, str):
            ledger.prune(self.store, parse_stamp(before))
        return []

    def blocked(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """The user blocked the bot (a reply got 403): no more updates, as a broadcast's 403 does."""
        ledger.blocked(self.store, user_id, self.coach.clock())
        return []

    # ------------------------------------------------------------------ admin broadcasts

    def running(self) -> int | None:
        ids = ledger.sending(self.store)
        return ids[0] if ids else None

    def cmd_broadcast(self, msg: Incoming, args: str) -> list[Reply]:
        if refusal := self.refuse_non_admin(msg, "tried /broadcast"):
            return refusal
        if not args.strip():
            return [Reply.plain(EMPTY)]
        busy = self.running()
        if busy is not None:
            return [Reply.plain(BUSY.format(id=busy))]
        try:
            parts = prepare(args)
        except BroadcastTextError as exc:
            return [Reply.plain(str(exc))]
        bid = ledger.create(self.store, parts, "admin", self.coach.clock(), created_by=msg.user_id)
        audience = self.store.count("subscribers", "active = 1")
        many = f"{len(parts)} messages" if len(parts) > 1 else "1 message"
        ask = (
            f"That's the preview of update #{bid}: {many} to {audience} subscriber"
            f"{'' if audience == 1 else 's'}. Send it?"
        )
        send = Button("Send", f"{BC}:send:{bid}", destructive=True)  # to every subscriber: no undo
        buttons = [[send, Button("Cancel", f"{BC}:cancel:{bid}", destructive=True)]]
        # Reply(...) not Reply.make: each part is already within Telegram's limit after parsing.
        return [*(Reply(p) for p in parts), Reply.plain(ask, buttons)]

    def on_bc_button(self, msg: Incoming, payload: str) -> list[Reply]:
        action, _, raw = payload.partition(":")
        if refusal := self.refuse_non_admin(msg, f"pressed broadcast button {payload}"):
            return refusal
        if not raw.isdigit() or ledger.get(self.store, int(raw)) is None:
            return [Reply.plain(self.coach.kb.texts["stale_button"])]
        bid = int(raw)
        if action == "cancel":
            if ledger.cancel(self.store, bid):
                return [Reply.plain(f"Cancelled: update #{bid} will not be sent.")]
            return [Reply.plain(self._state_line(bid))]
        if action != "send":
            return [Reply.plain(self.coach.kb.texts["stale_button"])]
        busy = self.running()
        if busy is not None and busy != bid:
            return [Reply.plain(BUSY.format(id=busy))]
        if not ledger.approve(self.store, bid, self.coach.clock()):
            return [Reply.plain(self._state_line(bid))]
        self.coach.scheduler.schedule(f"{BC}:{bid}", self.coach.clock())
        audience = ledger.report(self.store, bid).audience
        return [
            Reply.plain(
                f"Sending update #{bid} to {audience} subscriber{'' if audience == 1 else 's'}. "
                "I'll report here when it's done; /broadcast_status shows progress."
            )
        ]

    def _state_line(self, bid: int) -> str:
        b = ledger.get(self.store, bid)
        status = b.status if b else "gone"
        return {
            "sending": f"Update #{bid} is already on its way (/broadcast_status).",
            "done": f"Update #{bid} was already sent.",
            "cancelled": f"Update #{bid} was cancelled; send /broadcast again if you still want it out.",
        }.get(status, f"Update #{bid} is {status}.")

    def cmd_status(self, msg: Incoming, args: str) -> list[Reply]:
        if refusal := self.refuse_non_admin(msg, "tried /broadcast_status"):
            return refusal
        subscribers = self.store.count("subscribers", "active = 1")
        b = ledger.latest_any(self.store)
        if b is None:
            return [Reply.plain(f"No broadcasts yet. {subscribers} active subscribers.")]
        if b.status == "preview":
            line = f"Update #{b.id} is a preview waiting for Send or Cancel."
        else:
            line = ledger.report(self.store, b.id).line()
        return [Reply.plain(f"{line}\n{subscribers} active subscribers.")]

    # ------------------------------------------------------------------ timers

    def on_timer(self, name: str) -> list[Outgoing]:
        """Adapters without an async sender (the terminal) land here; the ledger keeps the work."""
        log.info("timer %s: broadcasts are sent by `hamcoach run` or `hamcoach broadcast --resume`", name)
        return []

    def pending(self) -> list[Due]:
        """Unfinished broadcasts resume at start-up (the adapter runs `bc:<id>` timers)."""
        if self.coach.timer_user is not None:  # `hamcoach chat`: broadcasts belong to the bot
            return []
        now = self.coach.clock()
        return [Due(f"{BC}:{bid}", now) for bid in ledger.sending(self.store)]


def register(coach: Coach) -> BroadcastFeature:
    """Wire subscriptions and broadcasts into the coach: buttons `sub:*`/`bc:*`, timers `bc:*`."""
    feature = BroadcastFeature(coach)
    coach.button(SUB)(feature.on_sub_button)
    coach.button(BC)(feature.on_bc_button)
    coach.timers[BC] = feature.on_timer
    coach.pending.append(feature.pending)
    coach.on("forget", feature.forget)
    coach.on("blocked", feature.blocked)
    coach.on("retention", feature.retention)
    coach.start_buttons.append(Button(coach.kb.texts["button_subscribe"], f"{SUB}:on", aside=True))

    @coach.command("subscribe", "Get site updates (new guides, changes)")
    def subscribe(msg: Incoming, args: str) -> list[Reply]:
        return feature.subscribe(msg)

    @coach.command("unsubscribe", "Stop site updates")
    def unsubscribe(msg: Incoming, args: str) -> list[Reply]:
        return feature.unsubscribe(msg)

    coach.command("updates", "The latest site updates")(feature.updates)
    coach.command("broadcast", "Admins: send an update to subscribers", menu=False)(feature.cmd_broadcast)
    coach.command("broadcast_status", "Admins: progress of the last broadcast", menu=False)(
        feature.cmd_status
    )
    return feature
