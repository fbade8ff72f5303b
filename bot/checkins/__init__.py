"""DOMS check-ins: the policy (quiet hours, time zones, scores, advice), the store of due, sent and
answered check-ins, and the conversation feature that schedules and asks them."""
