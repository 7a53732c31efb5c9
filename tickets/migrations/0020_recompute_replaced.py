from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0019_human_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="slarecompute",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"),
                    ("running", "running"),
                    ("done", "done"),
                    ("failed", "failed"),
                    ("replaced", "replaced by a newer edit"),
                ],
                default="queued",
                max_length=8,
            ),
        ),
    ]
