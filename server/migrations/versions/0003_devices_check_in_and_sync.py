"""Devices, the check-in log, seat allotments, the push log, conflicts, guest lists, and change tracking for
replication to kiosks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Reviewed by hand. Notes:
- Replicated tables get ``change_txid``/``change_seq``, stamped by triggers on insert and on the updates kiosks
  care about (see ``docs/sync-protocol.md``, "The cursor never skips a change"):
  PostgreSQL: a BEFORE trigger sets the writing transaction's id (``pg_current_xact_id()``) and ``nextval`` of
  ``sync_change_seq``; SQLite: an AFTER trigger bumps the one-row ``sync_counter`` and stamps the row with it
  (SQLite transactions begin IMMEDIATE, so the counter follows commit order). Both stamp each row uniquely.
- Occurrences, definitions, ticket types and devices re-stamp only when a replicated column changes, so the flash
  sale's counter UPDATE on the hot rows (seats_sold, quantity_sold) does not fire the trigger and is not replicated.
- Attendees are not replicated themselves: an update of an attendee re-stamps its tickets (which carry the name).
- Deleting an occurrence, ticket type or definition leaves a row in ``sync_tombstones``.
- Existing rows are stamped once at the end, each with its own sequence number.
- SQLite keeps triggers only while a table is not recreated: a later batch operation that copies one of these
  tables must create its triggers again.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

ENUMS: dict[str, tuple[str, ...]] = {
    "device_role": ("door_scanner", "box_office", "self_check_in"),
    "allotment_status": ("active", "released", "reclaimed", "closed"),
    "passage_direction": ("entry", "exit"),
    "check_in_source": ("online", "offline", "staff"),
    "check_in_status": ("ok", "refused"),
}

# Existing tables that gain the tracking columns, and the index each pull reads them by.
EXISTING_TRACKED = {
    "tickets": ("ix_tickets_occurrence_change", "event_occurrence_id"),
    "event_occurrences": ("ix_event_occurrences_org_change", "org_id"),
    "ticket_types": ("ix_ticket_types_org_change", "org_id"),
    "event_definitions": ("ix_event_definitions_org_change", "org_id"),
    "signing_keys": ("ix_signing_keys_org_change", "org_id"),
}

# Which updates re-stamp a row: None means every update; otherwise only a change of these columns (the ones kiosks
# receive). ``change_seq`` is always listed: setting it to 0 is how a row is "touched" for re-sending.
UPDATE_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "tickets": None,
    "signing_keys": None,
    "check_ins": None,
    "sync_conflicts": None,
    "seat_allotments": None,
    "event_occurrences": (
        "event_definition_id", "occurrence_name", "start_at", "end_at", "timezone", "status", "settings",
    ),
    "event_definitions": ("name", "status", "settings"),
    "ticket_types": ("event_definition_id", "name", "tier", "price_cents", "currency", "status"),
    "devices": ("public_key", "key_id", "revoked_at"),
}
INSERT_ONLY = ("sync_tombstones",)
ATTENDEE_COLUMNS = (
    "given_name", "family_name", "email", "dietary_restrictions", "accessibility_needs", "notes", "erased_at",
)
TOMBSTONED = {"event_occurrences": "occurrences", "ticket_types": "ticket_types", "event_definitions": "events"}


def enum(name: str) -> sa.Enum:
    return sa.Enum(*ENUMS[name], name=name, create_constraint=True)


def uuid_pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def fk(column: str, target: str, *, nullable: bool = False, ondelete: str = "RESTRICT") -> sa.Column[Any]:
    return sa.Column(column, sa.Uuid(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def tracking() -> list[sa.Column[Any]]:
    return [
        sa.Column("change_txid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"),
    ]


def timestamps() -> list[sa.Column[Any]]:
    return [sa.Column("created_at", TIMESTAMP, nullable=False), sa.Column("updated_at", TIMESTAMP, nullable=False)]


def create_tables() -> None:
    op.create_table(
        "devices",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", enum("device_role"), nullable=False),
        sa.Column("event_ids", JSONB, nullable=False),
        sa.Column("occurrence_ids", JSONB, nullable=False),
        sa.Column("scope_version", sa.Integer(), nullable=False),
        sa.Column("pairing_code_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("pairing_expires_at", TIMESTAMP, nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(8), nullable=True),
        sa.Column("software", sa.String(200), nullable=True),
        sa.Column("paired_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("wipe_sent_at", TIMESTAMP, nullable=True),
        sa.Column("last_seen_at", TIMESTAMP, nullable=True),
        sa.Column("last_pull_at", TIMESTAMP, nullable=True),
        sa.Column("last_push_at", TIMESTAMP, nullable=True),
        sa.Column("clock_offset_ms", sa.BigInteger(), nullable=True),
        sa.Column("clock_uncertainty_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_applied_seq", sa.BigInteger(), nullable=False),
        fk("created_by_token_id", "api_tokens.id", nullable=True, ondelete="SET NULL"),
        *timestamps(),
        *tracking(),
        sa.UniqueConstraint("org_id", "key_id"),
        sa.CheckConstraint("last_applied_seq >= 0", name="last_applied_seq_non_negative"),
    )
    op.create_index("ix_devices_org_change", "devices", ["org_id", "change_txid", "change_seq"])

    op.create_table(
        "seat_allotments",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("device_id", "devices.id"),
        fk("event_occurrence_id", "event_occurrences.id"),
        fk("ticket_type_id", "ticket_types.id", nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("seats_used", sa.Integer(), nullable=False),
        sa.Column("status", enum("allotment_status"), nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("details", JSONB, nullable=False),
        *timestamps(),
        *tracking(),
        sa.CheckConstraint("seats >= 0", name="seats_non_negative"),
        sa.CheckConstraint("seats_used >= 0 AND seats_used <= seats", name="seats_used_within"),
    )
    op.create_index("ix_seat_allotments_device_change", "seat_allotments", ["device_id", "change_txid", "change_seq"])
    op.create_index("ix_seat_allotments_occurrence_status", "seat_allotments", ["event_occurrence_id", "status"])

    op.create_table(
        "check_ins",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("event_occurrence_id", sa.Uuid(), nullable=True),
        fk("device_id", "devices.id", nullable=True),
        sa.Column("gate", sa.String(100), nullable=False),
        sa.Column("direction", enum("passage_direction"), nullable=False),
        sa.Column("source", enum("check_in_source"), nullable=False),
        sa.Column("status", enum("check_in_status"), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("local_status", sa.String(20), nullable=True),
        sa.Column("local_reason", sa.String(40), nullable=True),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("device_time", TIMESTAMP, nullable=True),
        sa.Column("clock_offset_ms", sa.BigInteger(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("annulled_at", TIMESTAMP, nullable=True),
        sa.Column("payload_kind", sa.String(20), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", JSONB, nullable=False),
        *tracking(),
        sa.UniqueConstraint("org_id", "nonce"),
    )
    op.create_index("ix_check_ins_ticket", "check_ins", ["ticket_id", "at"])
    op.create_index("ix_check_ins_occurrence_change", "check_ins", ["event_occurrence_id", "change_txid", "change_seq"])
    op.create_index("ix_check_ins_occurrence_at", "check_ins", ["event_occurrence_id", "at"])

    op.create_table(
        "guest_list_entries",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("event_occurrence_id", "event_occurrences.id"),
        sa.Column("external_ref", sa.String(200), nullable=False),
        fk("order_id", "orders.id"),
        fk("ticket_id", "tickets.id"),
        sa.Column("imported_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("event_occurrence_id", "external_ref"),
    )

    op.create_table(
        "sync_counter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO sync_counter (id, value) VALUES (1, 0)")

    op.create_table(
        "sync_tombstones",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("event_definition_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", TIMESTAMP, nullable=False),
        *tracking(),
    )
    op.create_index("ix_sync_tombstones_org_change", "sync_tombstones", ["org_id", "change_txid", "change_seq"])

    op.create_table(
        "sync_mutations",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("device_id", "devices.id"),
        sa.Column("mutation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.Column("result", JSONB, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("device_id", "seq"),
        sa.UniqueConstraint("device_id", "mutation_id"),
    )

    op.create_table(
        "sync_conflicts",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("event_occurrence_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("other_device_id", sa.Uuid(), nullable=True),
        sa.Column("check_in_id", sa.Uuid(), nullable=True),
        sa.Column("other_check_in_id", sa.Uuid(), nullable=True),
        sa.Column("mutation_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        *tracking(),
    )
    op.create_index("ix_sync_conflicts_occurrence", "sync_conflicts", ["event_occurrence_id", "detected_at"])
    op.create_index("ix_sync_conflicts_org_change", "sync_conflicts", ["org_id", "change_txid", "change_seq"])
    op.create_index("ix_sync_conflicts_check_in", "sync_conflicts", ["check_in_id"])


# --- triggers -----------------------------------------------------------------------------------------------------


def _pg_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (*columns, "change_seq"))


def _sqlite_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (*columns, "change_seq"))


def postgresql_triggers() -> list[str]:
    statements = [
        "CREATE SEQUENCE sync_change_seq AS bigint",
        """CREATE FUNCTION sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_txid := pg_current_xact_id()::text::bigint;
    NEW.change_seq := nextval('sync_change_seq');
    RETURN NEW;
END $$""",
        """CREATE FUNCTION sync_touch_attendee_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET change_seq = 0 WHERE attendee_id = NEW.id;
    RETURN NULL;
END $$""",
        """CREATE FUNCTION sync_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sync_tombstones (id, entity, row_id, org_id, event_definition_id, deleted_at)
    VALUES (
        gen_random_uuid(), TG_ARGV[0], OLD.id, OLD.org_id,
        CASE WHEN TG_TABLE_NAME = 'event_definitions' THEN OLD.id
             ELSE (to_jsonb(OLD) ->> 'event_definition_id')::uuid END,
        now()
    );
    RETURN OLD;
END $$""",
    ]
    for table, columns in UPDATE_COLUMNS.items():
        statements.append(
            f"CREATE TRIGGER sync_stamp_insert BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION sync_stamp()"
        )
        when = "" if columns is None else f" WHEN ({_pg_changed(columns)})"
        statements.append(
            f"CREATE TRIGGER sync_stamp_update BEFORE UPDATE ON {table} FOR EACH ROW{when} "
            "EXECUTE FUNCTION sync_stamp()"
        )
    for table in INSERT_ONLY:
        statements.append(
            f"CREATE TRIGGER sync_stamp_insert BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION sync_stamp()"
        )
    statements.append(
        "CREATE TRIGGER sync_touch_tickets AFTER UPDATE ON attendees FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in ATTENDEE_COLUMNS)}) "
        "EXECUTE FUNCTION sync_touch_attendee_tickets()"
    )
    for table, entity in TOMBSTONED.items():
        statements.append(
            f"CREATE TRIGGER sync_tombstone AFTER DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION sync_tombstone('{entity}')"
        )
    return statements


_SQLITE_STAMP = """BEGIN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1;
    UPDATE {table} SET change_txid = (SELECT value FROM sync_counter WHERE id = 1),
                       change_seq = (SELECT value FROM sync_counter WHERE id = 1)
     WHERE rowid = NEW.rowid;
END"""


def sqlite_triggers() -> list[str]:
    statements = []
    for table in (*UPDATE_COLUMNS, *INSERT_ONLY):
        statements.append(
            f"CREATE TRIGGER sync_stamp_{table}_insert AFTER INSERT ON {table} FOR EACH ROW "
            + _SQLITE_STAMP.format(table=table)
        )
    for table, columns in UPDATE_COLUMNS.items():
        when = "" if columns is None else f" WHEN {_sqlite_changed(columns)}"
        statements.append(
            f"CREATE TRIGGER sync_stamp_{table}_update AFTER UPDATE ON {table} FOR EACH ROW{when} "
            + _SQLITE_STAMP.format(table=table)
        )
    attendee_when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ATTENDEE_COLUMNS)
    statements.append(
        f"CREATE TRIGGER sync_touch_tickets AFTER UPDATE ON attendees FOR EACH ROW WHEN {attendee_when} BEGIN\n"
        "    UPDATE tickets SET change_seq = 0 WHERE attendee_id = NEW.id;\nEND"
    )
    for table, entity in TOMBSTONED.items():
        definition = "OLD.id" if table == "event_definitions" else "OLD.event_definition_id"
        statements.append(
            f"CREATE TRIGGER sync_tombstone_{table} AFTER DELETE ON {table} FOR EACH ROW BEGIN\n"
            "    INSERT INTO sync_tombstones (id, entity, row_id, org_id, event_definition_id, deleted_at)\n"
            f"    VALUES (lower(hex(randomblob(16))), '{entity}', OLD.id, OLD.org_id, {definition},\n"
            "            strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000');\nEND"
        )
    return statements


def drop_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = []
        for table in (*UPDATE_COLUMNS, *INSERT_ONLY):
            statements.append(f"DROP TRIGGER IF EXISTS sync_stamp_insert ON {table}")
            statements.append(f"DROP TRIGGER IF EXISTS sync_stamp_update ON {table}")
        statements.append("DROP TRIGGER IF EXISTS sync_touch_tickets ON attendees")
        statements += [f"DROP TRIGGER IF EXISTS sync_tombstone ON {table}" for table in TOMBSTONED]
        statements += [
            "DROP FUNCTION IF EXISTS sync_stamp()",
            "DROP FUNCTION IF EXISTS sync_touch_attendee_tickets()",
            "DROP FUNCTION IF EXISTS sync_tombstone()",
            "DROP SEQUENCE IF EXISTS sync_change_seq",
        ]
        return statements
    statements = [f"DROP TRIGGER IF EXISTS sync_stamp_{table}_insert" for table in (*UPDATE_COLUMNS, *INSERT_ONLY)]
    statements += [f"DROP TRIGGER IF EXISTS sync_stamp_{table}_update" for table in UPDATE_COLUMNS]
    statements.append("DROP TRIGGER IF EXISTS sync_touch_tickets")
    statements += [f"DROP TRIGGER IF EXISTS sync_tombstone_{table}" for table in TOMBSTONED]
    return statements


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, (index, scope_column) in EXISTING_TRACKED.items():
        with op.batch_alter_table(table) as batch:
            for column in tracking():
                batch.add_column(column)
            batch.create_index(index, [scope_column, "change_txid", "change_seq"])
    create_tables()
    for statement in postgresql_triggers() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    # Stamp the rows that exist already, each with its own number (the update triggers do it).
    for table in EXISTING_TRACKED:
        op.execute(f"UPDATE {table} SET change_seq = 0")  # noqa: S608 - constant table names


def downgrade() -> None:
    bind = op.get_bind()
    for statement in drop_triggers(bind.dialect.name):
        op.execute(statement)
    for table in (
        "sync_conflicts",
        "sync_mutations",
        "sync_tombstones",
        "sync_counter",
        "guest_list_entries",
        "check_ins",
        "seat_allotments",
        "devices",
    ):
        op.drop_table(table)
    for table, (index, _) in EXISTING_TRACKED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_index(index)
            batch.drop_column("change_seq")
            batch.drop_column("change_txid")
    if bind.dialect.name == "postgresql":
        for name in ENUMS:
            sa.Enum(name=name).drop(bind, checkfirst=True)
