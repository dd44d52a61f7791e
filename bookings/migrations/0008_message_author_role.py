"""A message keeps the side its author wrote for (municipality, expert, coordination)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_messages_and_proposals"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookingmessage",
            name="author_role",
            # No message was written before this migration (0007 added the table, the service
            # came with this field); the default only satisfies NOT NULL.
            field=models.CharField(
                choices=[
                    ("municipality", "Kommune"),
                    ("expert", "Expert*in"),
                    ("coordinator", "Koordination"),
                ],
                default="coordinator",
                max_length=12,
            ),
            preserve_default=False,
        ),
    ]
