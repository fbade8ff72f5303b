"""DOMS check-ins: the plan (checkins.yaml), quiet hours, time zones and scores as pure policy, the store of
due, sent and answered check-ins, and the feature (scheduler, service, views, handlers) that asks them."""
