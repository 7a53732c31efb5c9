from typing import Any

import django.utils.timezone
from django.db import migrations, models

# As tickets.models.fields.SYSTEM_STATUSES when this was written (migrations keep their copy).
SYSTEM_STATUSES = (
    ("new", "New", "Open"),
    ("open", "Open", "Open"),
    ("pending", "Pending", "Awaiting your reply"),
    ("hold", "On-hold", "Open"),
    ("solved", "Solved", "Solved"),
)


def one_default_per_category(apps: Any, schema_editor: Any) -> None:
    """Each category keeps its oldest default (an active one) or gets the system status."""
    CustomStatus = apps.get_model("tickets", "CustomStatus")
    CustomStatus.objects.update(updated_at=models.F("created_at"))
    for category, agent_label, end_user_label in SYSTEM_STATUSES:
        defaults = CustomStatus.objects.filter(status_category=category, default=True)
        kept = defaults.filter(active=True).order_by("id").first()
        defaults.exclude(pk=kept.pk if kept else None).update(default=False)
        if kept is None:
            CustomStatus.objects.create(
                status_category=category,
                agent_label=agent_label,
                end_user_label=end_user_label,
                active=True,
                default=True,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0022_history_rewrites"),
    ]

    operations = [
        migrations.AddField(
            model_name="customstatus",
            name="end_user_description",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="customstatus",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="customstatus",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(one_default_per_category, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="customstatus",
            constraint=models.UniqueConstraint(
                condition=models.Q(("default", True)),
                fields=("status_category",),
                name="custom_status_one_default_per_category",
            ),
        ),
    ]
