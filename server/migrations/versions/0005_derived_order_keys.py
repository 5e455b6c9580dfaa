"""Orders' guest keys are derived, not stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

A guest reaches their order with a key derived from the order's id under ``USHER_SECRET_KEY``
(``server.access_keys``), as waitlist entries already do. The hash of a random key on ``orders`` and, worse, the key
itself in plain text on ``idempotency_keys`` (kept to answer a replayed request) are no longer needed.

Downgrade brings the columns back empty: orders made meanwhile cannot be reached with a stored key again (their
guests keep their derived keys, which the older code does not know).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Neither table carries change-tracking triggers, so SQLite's batch rebuild loses nothing.
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("response_secret")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("access_secret_hash")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("access_secret_hash", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("response_secret", sa.String(100), nullable=True))
