"""Print a new API token for EMAIL (creating the user if missing); only the token on stdout."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from tickets import services
from tickets.models import User


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--role", choices=["admin", "agent"], default="agent")
        parser.add_argument("--name", default="")
        parser.add_argument("--description", default="created from the command line")

    def handle(
        self, *args: Any, email: str, role: str, name: str, description: str, **options: Any
    ) -> None:
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.user_create(name=name or email.split("@")[0], email=email, role=role)
            self.stderr.write(f"Created {role} {email}")
        elif user.role != role:
            user = services.user_update(user_id=user.pk, data={"role": role})
            self.stderr.write(f"{email} is now {role}")
        self.stdout.write(services.api_token_create(user=user, description=description))
