"""The Telegram adapter: turns Updates into core `Incoming`s and core `Reply`s into Bot API calls, and
runs the core's timers as JobQueue jobs. The only package that imports python-telegram-bot."""
