"""The admin site's pages for the account, tickets, notifications and reports."""

from tickets.admin import accounts, tickets  # noqa: F401  (register the models' pages)
from tickets.notifications import admin as notifications_admin  # noqa: F401
