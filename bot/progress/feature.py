"""/progress and /export as a feature: the records are read on the loop (through coach.training and
coach.local_time), the picture is drawn by the adapter off the loop (Attachment.make). It keeps no
rows, so "forget" has nothing of its own to delete."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.coach import Coach, Incoming
from bot.core.reply import Attachment, Reply
from bot.core.training import SessionLog, Soreness, Upcoming
from bot.knowledge.texts import fill
from bot.progress import chart
from bot.progress.export import to_csv

WINDOW = timedelta(weeks=4)
MAINTENANCE_WEEK = 11


def compliance(sessions: Sequence[SessionLog], now: datetime) -> int:
    """Sessions finished in the last 4 weeks against what the protocol asks for in them (at the
    frequency of the latest session's week), counting only the weeks since the first session; a
    percentage, at most 100."""
    finished = [s for s in sessions if s.status == "finished" and s.finished_at]
    if not finished:
        return 0
    first = min(s.finished_at for s in finished if s.finished_at)
    weeks = max(1, math.ceil((now - max(first, now - WINDOW)) / timedelta(weeks=1)))
    asked = weeks * finished[-1].per_week
    done = sum(1 for s in finished if s.finished_at and s.finished_at >= now - WINDOW)
    return min(100, round(100 * done / asked))


def chart_data(
    texts: dict[str, str], sessions: Sequence[SessionLog], scores: Sequence[Soreness]
) -> chart.ChartData:
    points = tuple(
        chart.Point(s.finished_at or s.started_at, s.reps, s.target, s.stop_reason == "pain")
        for s in sessions
        if s.status == "finished" or s.stop_reason == "pain"
    )
    marks = tuple(chart.Score(s.recorded_at, s.score, s.red_flag) for s in scores)
    labels = {key.removeprefix("chart_"): value for key, value in texts.items() if key.startswith("chart_")}
    return chart.ChartData(points, marks, labels)


def summary(texts: dict[str, str], sessions: Sequence[SessionLog], upcoming: Upcoming, now: datetime) -> str:
    done = sum(1 for s in sessions if s.status == "finished")
    count = texts["one_session"] if done == 1 else fill(texts["sessions"], n=done)
    key = "summary_maintenance" if upcoming.week >= MAINTENANCE_WEEK else "summary"
    return fill(texts[key], done=count, week=upcoming.week, compliance=compliance(sessions, now))


def register(coach: Coach, texts: dict[str, str]) -> None:
    """Wire /progress and /export."""

    @coach.command("progress", "A chart of your sessions and soreness")
    def progress(msg: Incoming, args: str) -> list[Reply]:
        """The chart with one line under it; a friendly line instead when there is nothing to draw."""
        sessions = coach.training.sessions(msg.user_id)
        data = chart_data(texts, sessions, coach.local_time.soreness(msg.user_id))
        if not data.sessions:
            return [Reply.plain(texts["no_sessions"])]
        line = summary(texts, sessions, coach.training.upcoming(msg.user_id), coach.clock())
        picture = Attachment("picture", "progress.png", functools.partial(chart.render, data))
        return [Reply.with_attachment(line, picture)]

    @coach.command("export", "Your sessions, sets and soreness as a CSV file")
    def export(msg: Incoming, args: str) -> list[Reply]:
        """The CSV as a document (built here: it is quick)."""
        sessions = coach.training.sessions(msg.user_id)
        scores = coach.local_time.soreness(msg.user_id)
        if not sessions and not scores:
            return [Reply.plain(texts["export_empty"])]
        data = to_csv(sessions, scores)
        name = f"hamcoach-{coach.clock():%Y-%m-%d}.csv"
        return [Reply.with_attachment(texts["export_caption"], Attachment("file", name, lambda: data))]
