"""The Telegram adapter: turns Updates into core `Incoming`s and core `Reply`s into Bot API calls."""
