"""The SQLite database every feature keeps its rows in: pragmas, migrations, the one stored time
format, users and questions. The database is the truth; jobs in memory are rebuilt from it."""
