import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import tickets.models.jobs


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_user_profile_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobStatus",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "public_id",
                    models.CharField(
                        default=tickets.models.jobs.new_job_status_id, max_length=32, unique=True
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("tickets.create_many", "create many tickets"),
                            ("tickets.update_many", "update many tickets"),
                            ("imports.tickets.create_many", "import many tickets"),
                        ],
                        max_length=32,
                    ),
                ),
                ("items", models.JSONField(default=list)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "queued"),
                            ("working", "working"),
                            ("completed", "completed"),
                            ("failed", "failed"),
                            ("killed", "killed"),
                        ],
                        default="queued",
                        max_length=9,
                    ),
                ),
                ("total", models.PositiveIntegerField(default=0)),
                ("progress", models.PositiveIntegerField(default=0)),
                ("message", models.TextField(blank=True, null=True)),
                ("current_index", models.PositiveIntegerField(blank=True, null=True)),
                ("current_attempts", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("finished_order", models.BigIntegerField(blank=True, editable=False, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "job status",
                "verbose_name_plural": "job statuses",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="JobStatusResult",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("index", models.PositiveIntegerField()),
                ("action", models.CharField(max_length=8)),
                ("ticket_id", models.BigIntegerField(blank=True, null=True)),
                ("success", models.BooleanField()),
                ("error", models.CharField(blank=True, max_length=64)),
                ("details", models.TextField(blank=True)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="results",
                        to="tickets.jobstatus",
                    ),
                ),
            ],
            options={
                "ordering": ["job", "index"],
            },
        ),
        migrations.AddIndex(
            model_name="jobstatus",
            index=models.Index(fields=["status", "updated_at"], name="job_status_stale"),
        ),
        migrations.AddConstraint(
            model_name="jobstatusresult",
            constraint=models.UniqueConstraint(
                fields=("job", "index"), name="job_status_result_once"
            ),
        ),
    ]
