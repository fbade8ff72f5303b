"""hamcoach: a coaching bot for the ham raise (Nordic hamstring curl)."""

__version__ = "0.1.0"
