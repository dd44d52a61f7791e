"""Full-text search machinery, only for the database at hand: PostgreSQL trigger + GIN index, or
an SQLite FTS5 table with triggers (see library/search.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from library import search

    search.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from library import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("library", "0001_resources")]
    operations = [migrations.RunPython(forwards, backwards)]
