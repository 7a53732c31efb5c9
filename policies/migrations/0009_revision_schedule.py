"""Revisions also freeze the account's schedule: the one every replay used until now."""

import hashlib
import json

from django.db import migrations, models


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def freeze_default_schedule(apps, schema_editor):
    Schedule = apps.get_model("policies", "Schedule")
    PolicyRevision = apps.get_model("policies", "PolicyRevision")
    schedule = Schedule.objects.order_by("id").first()
    snapshot = None
    if schedule is not None:
        snapshot = {
            "time_zone": schedule.time_zone,
            "intervals": [
                [i.start_time, i.end_time]
                for i in schedule.intervals.order_by("start_time", "end_time")
            ],
            "holidays": [
                {
                    "start_date": h.start_date.isoformat(),
                    "end_date": h.end_date.isoformat(),
                    "start_time": h.start_time.isoformat() if h.start_time else None,
                    "end_time": h.end_time.isoformat() if h.end_time else None,
                }
                for h in schedule.holidays.order_by("start_date", "id")
            ],
        }
    PolicyRevision.objects.update(schedule=snapshot, schedule_digest=_digest(snapshot))


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_human_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="policyrevision",
            name="schedule",
            field=models.JSONField(
                blank=True, help_text="The default schedule; empty means calendar time", null=True
            ),
        ),
        migrations.AddField(
            model_name="policyrevision",
            name="schedule_digest",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(freeze_default_schedule, migrations.RunPython.noop),
    ]
