"""Next-session reminders (off by default): rows first and jobs second, in the user's local time,
outside quiet hours, with Start, Snooze and Skip today, and a gentle word after a long gap."""
