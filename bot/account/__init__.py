"""What the bot keeps about a person, as a feature: /forget asks first, then every feature deletes
its own rows on the core's "forget" event and storage deletes the user and their questions."""
