"""Events, sessions and registrations move to the events app: state only, the tables stay."""

from django.db import migrations

_MOVED = ("event", "eventsession", "registration")


def _move_content_types(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Keep permissions and admin history attached: the content types change app, not identity.
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in _MOVED:
        if not content_type.objects.filter(app_label="events", model=model).exists():
            content_type.objects.filter(app_label="bookings", model=model).update(
                app_label="events"
            )


def _move_content_types_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="events", model__in=_MOVED).update(app_label="bookings")


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_booking_room"),
        ("events", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Registration"),
                migrations.DeleteModel(name="EventSession"),
                migrations.DeleteModel(name="Event"),
            ],
        ),
        migrations.RunPython(_move_content_types, _move_content_types_back),
    ]
