import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_metric_event_publishing"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="alias",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="user",
            name="details",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="user",
            name="external_id",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="locale",
            field=models.CharField(default="en-US", help_text="A BCP 47 tag", max_length=35),
        ),
        migrations.AddField(
            model_name="user",
            name="notes",
            field=models.TextField(blank=True, help_text="Seen by agents only"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone",
            field=models.CharField(blank=True, max_length=50, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="shared_phone_number",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="signature",
            field=models.TextField(blank=True, help_text="Agents and admins only"),
        ),
        migrations.AddField(
            model_name="user",
            name="tags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="user",
            name="verified",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(blank=True, max_length=254, null=True, unique=True),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("external_id"),
                name="tickets_user_external_id_unique",
            ),
        ),
    ]
