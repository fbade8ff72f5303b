"""The guided first session: the flow (a pure state machine over session.yaml), progression to the
next session, the store of sessions, sets and rest timers, and the conversation feature."""
