"""Invariant 1 in the database: no expert in two overlapping active bookings (buffers included).

PostgreSQL only (an exclusion constraint over the blocked range with btree_gist); SQLite has no
such constraint and relies on its serialised IMMEDIATE transactions instead. Written as SQL in a
vendor-guarded operation because Django's ExclusionConstraint would be created on SQLite too
(where it fails) and a model constraint cannot be limited to one database vendor.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap"
TABLE = "bookings_consultationbooking"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(expert_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&) "
        "WHERE (status IN ('held', 'requested', 'confirmed'))"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
