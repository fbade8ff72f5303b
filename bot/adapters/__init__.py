"""Adapters over the core: telegram/ (the only place that imports python-telegram-bot) and terminal.py
(`hamcoach chat`). They translate; the core decides."""
