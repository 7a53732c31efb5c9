"""An index on when each SLA target was settled, for the reports (tickets/reports.py).

The expression is `tickets.reports.settled_at()` written out: the planner uses the index only
for that exact expression. It is raw SQL because the index is on an expression the model does
not declare; both PostgreSQL and SQLite accept this statement.
"""

from django.db import migrations

SETTLED_AT = (
    'CASE WHEN "breached" THEN "breached_at" WHEN "fulfilled_at" IS NOT NULL '
    'THEN "fulfilled_at" ELSE "activated_at" END'
)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_ratelimitcounter"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX "sla_target_settled" ON "tickets_ticketslatarget" (({SETTLED_AT}))',
            reverse_sql='DROP INDEX "sla_target_settled"',
        ),
    ]
