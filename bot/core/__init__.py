"""The conversation core: Coach, Incoming, events, Reply and its one length/split policy, text
normalisation and number parsing. Nothing here knows about Telegram or any feature."""
