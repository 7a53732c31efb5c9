"""The admin site's pages for SLA policies and schedules."""

from policies.admin import policies, schedules  # noqa: F401  (registers the models' pages)
