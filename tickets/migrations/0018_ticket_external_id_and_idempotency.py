# Tickets take Zendesk's `external_id`, keep whether any comment is public (`is_public`), and
# comments keep the HTML they were sent as; ticket creations with an `Idempotency-Key` are
# remembered. Existing tickets are filled in: `is_public` from their comments, and checkbox
# values, stored until now as the text "True"/"False", become JSON booleans.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CHECKED = {"true": True, "1": True, "false": False, "0": False, "": False}
BATCH = 500


def fill_in(apps, schema_editor):
    tickets = apps.get_model("tickets", "Ticket")
    tickets.objects.filter(comments__public=True).update(is_public=True)
    _convert_checkboxes(tickets, _checkbox_keys(apps), _as_boolean)


def empty_out(apps, schema_editor):
    tickets = apps.get_model("tickets", "Ticket")
    _convert_checkboxes(tickets, _checkbox_keys(apps), _as_text)


def _checkbox_keys(apps):
    fields = apps.get_model("tickets", "TicketField")
    return [str(pk) for pk in fields.objects.filter(type="checkbox").values_list("pk", flat=True)]


def _as_boolean(value):
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in CHECKED:
        return CHECKED[value.strip().lower()]
    return value


def _as_text(value):
    return str(value) if isinstance(value, bool) else value


def _convert_checkboxes(tickets, keys, convert):
    if not keys:
        return
    having = models.Q()
    for key in keys:
        having |= models.Q(custom_fields__has_key=key)
    changed = []
    for ticket in tickets.objects.filter(having).only("pk", "custom_fields").iterator(BATCH):
        values = dict(ticket.custom_fields)
        for key in keys:
            if key in values:
                values[key] = convert(values[key])
        if values != ticket.custom_fields:
            ticket.custom_fields = values
            changed.append(ticket)
        if len(changed) >= BATCH:
            tickets.objects.bulk_update(changed, ["custom_fields"])
            changed = []
    if changed:
        tickets.objects.bulk_update(changed, ["custom_fields"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_job_statuses"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="external_id",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="is_public",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="ticketcomment",
            name="html_body",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("external_id__isnull", False)),
                fields=["external_id", "id"],
                name="ticket_external_id",
            ),
        ),
        migrations.CreateModel(
            name="IdempotentRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                ("request_digest", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("status_code", models.PositiveSmallIntegerField(null=True)),
                ("response_body", models.JSONField(null=True)),
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
                "indexes": [
                    models.Index(fields=["user", "created_at"], name="idempotent_request_expiry")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "key"), name="idempotent_request_user_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_in, empty_out),
    ]
