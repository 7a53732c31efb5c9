"""The admin site's pages for the account, tickets, notifications and reports."""

from tickets.admin import tickets  # noqa: F401  (registers the models' pages)
from tickets.notifications import admin as notifications_admin  # noqa: F401
