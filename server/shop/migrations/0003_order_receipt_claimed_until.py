from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_idempotency_keys_moved_to_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="receipt_claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
