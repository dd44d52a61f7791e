"""Full-text search machinery, only for the database at hand: PostgreSQL triggers + GIN indexes,
or SQLite FTS5 tables with triggers (see exchange/search.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from exchange import search

    search.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from exchange import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_forum")]
    operations = [migrations.RunPython(forwards, backwards)]
