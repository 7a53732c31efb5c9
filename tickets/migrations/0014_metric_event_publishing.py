"""Metric events get their place in the incremental export: `published_seq` and `published_at`.

Events already stored are published in their old export order, (time, id), with
`published_at = time`, so a consumer's saved `start_time` keeps its meaning.
"""

from typing import Any

from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("tickets", "TicketMetricEvent")
    quote = schema_editor.connection.ops.quote_name
    table = quote(model._meta.db_table)
    # One statement on both databases (SQLite has UPDATE ... FROM and window functions).
    schema_editor.execute(
        f"UPDATE {table} SET published_seq = ordered.seq, published_at = {table}.{quote('time')} "
        f"FROM (SELECT {quote('id')} AS event_id, ROW_NUMBER() OVER "
        f"(ORDER BY {quote('time')}, {quote('id')}) AS seq FROM {table}) AS ordered "
        f"WHERE {table}.{quote('id')} = ordered.event_id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_oauth_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketmetricevent",
            name="published_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticketmetricevent",
            name="published_seq",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="ticketmetricevent",
            name="published_seq",
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="ticketmetricevent",
            index=models.Index(
                fields=["published_at", "published_seq"], name="metric_event_published"
            ),
        ),
        migrations.AddIndex(
            model_name="ticketmetricevent",
            index=models.Index(
                condition=models.Q(("published_seq__isnull", True)),
                fields=["id"],
                name="metric_event_unpublished",
            ),
        ),
    ]
