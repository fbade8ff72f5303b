"""The guided first session: a pure flow loaded and checked from session.yaml, what typed text and buttons
mean, progression, the store, and the feature (service, views, handlers)."""
