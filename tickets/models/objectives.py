"""Service level objectives: a target achievement rate over a rolling window."""

from __future__ import annotations

from django.db import models


class ServiceLevelObjective(models.Model):
    """A target achievement rate over a rolling window, for one policy's targets, optionally
    narrowed to a metric and a priority ("95% of urgent first replies on time over 30 days").

    The policy is required and CASCADE: an objective measures one policy's targets and means
    nothing without it, and PROTECT would make deleting a policy fail on a row the policy's
    own screens do not show.
    """

    title = models.CharField(max_length=255)
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.CASCADE, related_name="objectives"
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
        ]

    def __str__(self) -> str:
        return self.title
