# Notification rules move from the policies app to tickets (they watch tickets' targets and
# objectives). Only Django's state moves: the table keeps its name, so no row moves.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0006_objective_triggers"),
        ("tickets", "0010_objective_alerts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='NotificationRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=255)),
                        ('active', models.BooleanField(default=True)),
                        ('trigger', models.CharField(choices=[('warning_before', 'Warning a lead time before breach'), ('warning_percent', 'Warning at a percentage of the target'), ('breach', 'At breach'), ('objective_below', 'An objective falls below its target rate'), ('budget_burn', "An objective's error budget burns too fast")], max_length=16)),
                        ('lead_seconds', models.PositiveIntegerField(blank=True, null=True)),
                        ('percent', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('metric', models.CharField(blank=True, choices=[('agent_work_time', 'agent_work_time'), ('first_reply_time', 'first_reply_time'), ('next_reply_time', 'next_reply_time'), ('pausable_update_time', 'pausable_update_time'), ('periodic_update_time', 'periodic_update_time'), ('requester_wait_time', 'requester_wait_time'), ('total_resolution_time', 'total_resolution_time')], max_length=32)),
                        ('priority', models.CharField(blank=True, choices=[('low', 'low'), ('normal', 'normal'), ('high', 'high'), ('urgent', 'urgent')], max_length=8)),
                        ('channel', models.CharField(choices=[('webhook', 'Webhook'), ('email', 'Email')], max_length=8)),
                        ('webhook_url', models.URLField(blank=True, max_length=2048)),
                        ('webhook_secret', models.CharField(blank=True, max_length=255)),
                        ('email_assignee', models.BooleanField(default=False)),
                        ('email_group', models.BooleanField(default=False)),
                        ('email_addresses', models.JSONField(blank=True, default=list)),
                        ('hold_for_business_hours', models.BooleanField(default=False)),
                        ('combine_warnings', models.BooleanField(default=False)),
                        ('set_priority', models.CharField(blank=True, choices=[('low', 'low'), ('normal', 'normal'), ('high', 'high'), ('urgent', 'urgent')], max_length=8)),
                        ('add_tag', models.CharField(blank=True, max_length=80)),
                        ('burn_rate', models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('updated_at', models.DateTimeField()),
                        ('objective', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notification_rules', to='tickets.servicelevelobjective')),
                        ('policy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notification_rules', to='policies.policy')),
                        ('set_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.group')),
                    ],
                    options={
                        'db_table': 'policies_notificationrule',
                        'ordering': ['id'],
                    },
                ),
                migrations.AlterField(
                    model_name='slanotification',
                    name='rule',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.notificationrule'),
                ),
            ],
            database_operations=[],
        ),
        # Never written: an audit's SLA changes are its metric events.
        migrations.DeleteModel(name="SlaEvent"),
    ]
