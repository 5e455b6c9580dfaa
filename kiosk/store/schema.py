"""The replica's tables, as the newest migration leaves them (``migrations`` creates them; this is for queries).

Ids are the server's UUIDs as text; times are integer microseconds (``db.to_us``); booleans are 0/1.

- ``meta``: small key/value facts of the sync (cursor, clock offset, last successful sync, ...).
- ``occurrences``, ``ticket_types``, ``tickets``, ``keys``: what the server sent for this device's scope. A ticket
  row with ``on_record = 0`` is a stand-in this kiosk made when it admitted an authentic token it had not synced
  yet; the next pull replaces it.
- ``passages``: entries and exits this kiosk recorded (never deleted; an undo sets ``annulled_at``).
- ``attempts``: every scan this kiosk decided or had the server decide, accepted or refused: the local check-in log.
- ``outbox``: mutations waiting for upload, in per-device sequence order (``seq``, never reused).
- ``conflicts``: what the server rejected or flagged after an upload, for staff to act on.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

occurrences = sa.Table(
    "occurrences",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("venue", sa.Text, nullable=False, server_default=""),
    sa.Column("start_at", sa.Integer, nullable=False),
    sa.Column("end_at", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=True),
    sa.Column("doors_open_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("allow_reentry", sa.Integer, nullable=False, server_default="0"),
    sa.Column("late_entry_minutes", sa.Integer, nullable=True),
)

ticket_types = sa.Table(
    "ticket_types",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("occurrence_id", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("occurrence_id", sa.Text, nullable=False, index=True),
    sa.Column("ticket_type_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("confirmation_code", sa.Text, nullable=True, unique=True),
    sa.Column("holder_name", sa.Text, nullable=False, server_default=""),
    sa.Column("holder_email", sa.Text, nullable=False, server_default=""),
    sa.Column("notes", sa.Text, nullable=False, server_default="[]"),  # JSON list of strings
    sa.Column("revoked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("token_issued_at", sa.Integer, nullable=True),
    sa.Column("checked_in_at", sa.Integer, nullable=True),
    sa.Column("checked_in_gate", sa.Text, nullable=True),
    sa.Column("inside", sa.Integer, nullable=False, server_default="0"),
    sa.Column("on_record", sa.Integer, nullable=False, server_default="1"),
    sa.Column("search", sa.Text, nullable=False, server_default=""),  # lower-cased name and email
)

keys = sa.Table(
    "keys",
    metadata,
    sa.Column("key_id", sa.LargeBinary, primary_key=True),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("owner_kind", sa.Text, nullable=False),
    sa.Column("owner_id", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.Integer, nullable=True),
)

passages = sa.Table(
    "passages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("nonce", sa.Text, nullable=False, unique=True),
    sa.Column("ticket_id", sa.Text, nullable=False, index=True),
    sa.Column("occurrence_id", sa.Text, nullable=False),
    sa.Column("direction", sa.Text, nullable=False),
    sa.Column("at", sa.Integer, nullable=False),
    sa.Column("gate", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("annulled_at", sa.Integer, nullable=True),
    sa.Column("prior_status", sa.Text, nullable=True),  # the ticket's status before this entry, for an undo
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("nonce", sa.Text, nullable=False, unique=True),
    sa.Column("at", sa.Integer, nullable=False),  # the server's clock (device time + offset)
    sa.Column("device_time", sa.Integer, nullable=False),
    sa.Column("scanned", sa.Text, nullable=False),  # signed_token / confirmation_code / search
    sa.Column("ticket_id", sa.Text, nullable=True),
    sa.Column("occurrence_id", sa.Text, nullable=True),
    sa.Column("direction", sa.Text, nullable=False),
    sa.Column("gate", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("decided_by", sa.Text, nullable=False),  # server / local
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True, index=True),
    sa.Column("body", sa.Text, nullable=False),  # JSON
    sa.Column("created_at", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),  # pending / done / rejected
    sa.Column("result", sa.Text, nullable=True),  # JSON, the server's answer
    sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),  # the same report pulled twice is one row
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("ticket_id", sa.Text, nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default=""),
    sa.Column("reported_at", sa.Integer, nullable=False),
    sa.Column("handled_at", sa.Integer, nullable=True),
)
