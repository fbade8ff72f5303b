"""The name of a rest timer, `rest:<session_id>:<set_no>`: one per rest, so scheduling it again replaces it,
and the adapter's job queue can rebuild it from the database after a restart."""

from __future__ import annotations

PREFIX = "rest"


def rest_timer(session_id: int, set_no: int) -> str:
    """The timer that ends the rest after set `set_no` of session `session_id`."""
    return f"{PREFIX}:{session_id}:{set_no}"


def parse_rest_timer(name: str) -> tuple[int, int] | None:
    """(session_id, set_no) of a rest timer's name, or None if `name` is not one."""
    prefix, _, rest = name.partition(":")
    session_id, _, set_no = rest.partition(":")
    if prefix != PREFIX or not (session_id.isdigit() and set_no.isdigit()):
        return None
    return int(session_id), int(set_no)
