"""The nurse review console: a small Starlette app that reads what the bot told patients.

It reads Rasa's tracker-store table ``events`` (never writes it, except the retention purge)
and keeps everything it adds (users, sessions, reviews, notes, flags, audit log, a queue
summary cache) in its own ``console_*`` tables, created by Alembic migrations. See
docs/console.md for the operator's view and docs/decisions.md for why Starlette.
"""
