"""Service level objectives: a target achievement rate over a rolling window."""

from __future__ import annotations

from django.db import models

# What the admin's objective form says when neither or both kinds of policy are chosen.
ONE_POLICY = "Choose an SLA policy or a group SLA policy: one of them, not both."


class ServiceLevelObjective(models.Model):
    """A target achievement rate over a rolling window, for one SLA policy's targets ("95% of
    urgent first replies on time over 30 days") or one group SLA policy's group ownership time
    targets ("95% of escalations held by Tier 2 under 4 business hours"), optionally narrowed to
    a metric and a priority.

    Exactly one of the two policies, and CASCADE: an objective measures one policy's targets and
    means nothing without it, and PROTECT would make deleting a policy fail on a row the
    policy's own screens do not show. A group SLA objective's metric is group ownership time.
    """

    title = models.CharField(max_length=255)
    policy = models.ForeignKey(
        "policies.Policy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="objectives",
    )
    group_policy = models.ForeignKey(
        "policies.GroupSlaPolicy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="objectives",
        verbose_name="group SLA policy",
    )
    # Blank: every metric / every priority.
    metric = models.CharField(max_length=32, blank=True)
    priority = models.CharField(max_length=8, blank=True)
    # Percent of settled targets achieved, strictly between 0 and 100.
    target_rate = models.DecimalField(max_digits=5, decimal_places=2)
    window_days = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "service level objective"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_rate__gt=0, target_rate__lt=100),
                name="slo_target_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1, window_days__lte=365),
                name="slo_window_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(policy__isnull=False, group_policy__isnull=True)
                | models.Q(policy__isnull=True, group_policy__isnull=False),
                name="slo_one_policy",
                violation_error_message=ONE_POLICY,
            ),
        ]

    def __str__(self) -> str:
        return self.title
