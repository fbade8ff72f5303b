"""The CSV a user gets from /export: one row per set logged and per soreness score, so a
spreadsheet can sort, filter and chart them. Pure: records in, bytes out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.core.training import SessionLog, Soreness

COLUMNS = (
    "record",
    "session_id",
    "date",
    "week",
    "status",
    "set_no",
    "reps",
    "target",
    "soreness",
    "red_flag",
)


def rows(sessions: Sequence[SessionLog], soreness: Sequence[Soreness]) -> list[dict[str, str]]:
    """Sets (a session without any gets one row with its status), then soreness scores, by time."""
    out: list[tuple[str, dict[str, str]]] = []
    for s in sessions:
        base = {"session_id": str(s.id), "week": str(s.week), "status": s.status}
        if not s.sets:
            when = (s.finished_at or s.started_at).isoformat()
            out.append((when, {**base, "record": "session", "date": when}))
        for logged in s.sets:
            when = logged.logged_at.isoformat()
            values = {"set_no": str(logged.set_no), "reps": str(logged.reps), "target": str(logged.target)}
            out.append((when, {**base, **values, "record": "set", "date": when}))
    for score in soreness:
        when = score.recorded_at.isoformat()
        values = {"soreness": str(score.score), "red_flag": "1" if score.red_flag else "0"}
        sid = "" if score.session_id is None else str(score.session_id)
        out.append((when, {**values, "record": "soreness", "date": when, "session_id": sid}))
    out.sort(key=lambda pair: pair[0])
    return [{c: row.get(c, "") for c in COLUMNS} for _, row in out]


def to_csv(sessions: Sequence[SessionLog], soreness: Sequence[Soreness]) -> bytes:
    """UTF-8 with a header line; dates are UTC ISO 8601."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(sessions, soreness))
    return buffer.getvalue().encode("utf-8")
