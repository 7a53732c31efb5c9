from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0005_recompute_parts_and_queue_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateLimitCounter",
            fields=[
                ("key", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("hits", models.PositiveIntegerField()),
                (
                    "expires_at",
                    models.FloatField(help_text="Unix time at which the count starts again"),
                ),
            ],
        ),
    ]
