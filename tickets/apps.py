from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Help desk"

    def ready(self) -> None:
        # Imported for what importing does: the OpenAPI auth schemes register themselves, and
        # the recompute's receivers connect to policy and schedule edits.
        from slaweb.api import schema  # noqa: F401
        from tickets.sla import recompute  # noqa: F401
