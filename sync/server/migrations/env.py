"""Alembic's environment script: everything is in ``sync.server.migrations.run_env``."""
from alembic import context

from sync.server.migrations import run_env

run_env(context)
