"""ConsultationBooking.invited: the addresses the booking's current invitation went to."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bookings", "0005_events_to_own_app")]

    operations = [
        migrations.AddField(
            model_name="consultationbooking",
            name="invited",
            field=models.JSONField(blank=True, db_default=[], default=list, editable=False),
        ),
    ]
