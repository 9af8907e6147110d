"""Alembic environment: run the migrations on the connection ``reaper.store.migrate`` passes.

There is no alembic.ini and no URL here: the store builds the ``Config`` in code and hands
over an open connection (``config.attributes["connection"]``), already under the writer lock.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table.
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
