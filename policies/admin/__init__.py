"""The admin site's pages for SLA policies, group SLA policies and schedules."""

from policies.admin import (  # noqa: F401  (registers the models' pages)
    group_slas,
    policies,
    schedules,
)
