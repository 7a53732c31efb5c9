import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Organizations keep an external id (unique regardless of case), groups are marked
    deleted instead of removed (their names unique among the undeleted), brands keep when they
    last changed (existing brands: now)."""

    dependencies = [
        ("tickets", "0020_recompute_replaced"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="external_id",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("external_id"),
                name="tickets_organization_external_id_unique",
            ),
        ),
        migrations.AddField(
            model_name="group",
            name="deleted",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="group",
            name="name",
            field=models.CharField(max_length=255),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                "name", condition=models.Q(("deleted", False)), name="tickets_group_name_unique"
            ),
        ),
        migrations.AddField(
            model_name="brand",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
