from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and account"

    def ready(self) -> None:
        from slaweb import schema  # noqa: F401  (registers the OpenAPI auth schemes)
