"""Site-update broadcasts: Telegram-safe text, the ledger of subscribers, broadcasts and deliveries,
the paced fan-out, the update feed watcher, and the conversation feature."""
