"""The project's own configuration of Django's admin and of the task results' app."""

from django.contrib.admin.apps import AdminConfig
from django_tasks_db.apps import TasksAppConfig


class SlawebAdminConfig(AdminConfig):
    """Django's admin with slaweb's site: sections of support work, agents kept to theirs."""

    default_site = "slaweb.admin_site.SlawebAdminSite"


class TaskResultsConfig(TasksAppConfig):
    """The task queue's stored results, named as the admin shows them (the package calls
    itself "Tasks Database Backend")."""

    verbose_name = "Background tasks"
