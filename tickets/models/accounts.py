"""The help desk account: people, their API and OAuth tokens, teams, organizations, brands and
support addresses."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from policies.engine.vocabulary import ROLE_IDS, Role

EMAIL_MAX_LENGTH = 254
EXTERNAL_ID_MAX_LENGTH = 255


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        if username is not None and len(username) > EMAIL_MAX_LENGTH:
            # No address is that long; SQLite would refuse the lookup's LIKE pattern.
            raise self.model.DoesNotExist
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("name", email.split("@")[0])
        return self.create_user(email, password, role=Role.ADMIN, **fields)


class User(AbstractBaseUser):
    """A person in the account: an end user (requester), an agent or an admin.

    The role decides everything: admins manage the account, agents work tickets and read
    configuration, end users only reach their own tickets and never the admin site.
    """

    ROLE_CHOICES: ClassVar = [(role.value, role.value) for role in Role]

    # Stored lower-cased by the services, so uniqueness is case-insensitive. Optional, as in
    # Zendesk: end users may have none (agents and admins need one to sign in).
    email = models.EmailField(max_length=EMAIL_MAX_LENGTH, unique=True, null=True, blank=True)
    name = models.CharField(max_length=255)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=Role.END_USER.value)
    organization = models.ForeignKey(
        "Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    default_group = models.ForeignKey(
        "Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    user_fields = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    # Unique regardless of case: Zendesk treats "ian1" and "IAN1" as the same external id.
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH, null=True, blank=True)
    locale = models.CharField(max_length=35, default="en-US", help_text="A BCP 47 tag")
    phone = models.CharField(max_length=50, null=True, blank=True)
    shared_phone_number = models.BooleanField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    alias = models.CharField(max_length=255, blank=True)
    details = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Seen by agents only")
    signature = models.TextField(blank=True, help_text="Agents and admins only")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("external_id"), name="tickets_user_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

    def get_short_name(self) -> str:
        return self.name or self.email or ""

    def get_full_name(self) -> str:
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        """Agents and admins both work tickets."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def role_id(self) -> int:
        return ROLE_IDS[Role(self.role)]

    # The admin site asks these; they follow from the role.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_agent

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if not self.is_staff:
            return False
        if self.is_admin:
            return True
        # Agents read every page and change tickets (reply, status, priority); nothing else.
        codename = perm.split(".", 1)[-1]
        return codename.split("_", 1)[0] == "view" or perm == "tickets.change_ticket"

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class ApiToken(models.Model):
    """An API token for HTTP Basic `{email}/token:{token}`. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    description = models.CharField(max_length=255, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"API token {self.prefix}… of {self.user.name or self.user.email}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        # 40 characters like Zendesk's tokens; 240 bits of randomness.
        return secrets.token_urlsafe(30)


# What OAuth scopes may name (Zendesk's list), and the one access some of them are limited to.
OAUTH_SCOPE_RESOURCES: dict[str, str | None] = {
    "tickets": None,
    "users": None,
    "auditlogs": "read",
    "organizations": None,
    "hc": None,
    "apps": None,
    "triggers": None,
    "automations": None,
    "targets": None,
    "webhooks": None,
    "macros": None,
    "requests": None,
    "satisfaction_ratings": None,
    "dynamic_content": None,
    "any_channel": "write",
    "web_widget": "write",
}


def oauth_scope_problem(scope: str) -> str | None:
    """Why `scope` is not one of Zendesk's OAuth scopes, or None when it is."""
    if scope in ("read", "write", "impersonate"):
        return None
    resource, sep, access = scope.partition(":")
    if resource not in OAUTH_SCOPE_RESOURCES:
        return f"{scope!r} is not a scope: use read, write, impersonate or resource:read|write"
    if not sep:
        return None
    if access not in ("read", "write"):
        return f"{scope!r}: the access after the resource must be read or write"
    only = OAUTH_SCOPE_RESOURCES[resource]
    if only is not None and access != only:
        return f"{scope!r}: {resource} can only be scoped {only}"
    return None


class OAuthToken(models.Model):
    """An OAuth access token for `Authorization: Bearer {token}` (Zendesk's OAuth Tokens API).

    Only its SHA-256 is stored, and its first characters to show in lists. It never expires;
    revoking it keeps the row (with `revoked_at`) and refuses it from then on. Its scopes say
    what it may do, as Zendesk's do: `read` (GET, HEAD, OPTIONS) and `write` (everything
    else) for every resource, or `{resource}:read`, `{resource}:write` and a bare
    `{resource}` (both) for one; `impersonate` is accepted and grants nothing here.
    """

    PREFIX_LENGTH = 10  # Zendesk shows the first 10 characters of a token

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oauth_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    scopes = models.JSONField(default=list)
    client_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="As sent on creation; slaweb has no OAuth clients"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "OAuth token"
        verbose_name_plural = "OAuth tokens"

    def __str__(self) -> str:
        return f"OAuth token {self.prefix}… of {self.user.name or self.user.email}"

    @staticmethod
    def hash(token: str) -> str:
        return ApiToken.hash(token)

    @staticmethod
    def generate() -> str:
        # 64 hexadecimal characters like Zendesk's access tokens; 256 bits of randomness.
        return secrets.token_hex(32)

    def allows(self, *, write: bool, resource: str | None) -> bool:
        """Whether the scopes cover a read (or a write) of `resource` (None: a resource no
        scope names, which only the unprefixed `read` and `write` reach)."""
        access = "write" if write else "read"
        granted = {access}
        if resource is not None:
            granted.add(f"{resource}:{access}")
            if OAUTH_SCOPE_RESOURCES.get(resource) in (None, access):
                granted.add(resource)  # a bare resource: every access it has
        return not granted.isdisjoint(self.scopes)


class Organization(models.Model):
    name = models.CharField(max_length=255, unique=True)
    organization_fields = models.JSONField(default=dict, blank=True)
    # Unique regardless of case: Zendesk treats "company1" and "Company1" as the same.
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("external_id"), name="tickets_organization_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UndeletedGroups(models.Manager["Group"]):
    def get_queryset(self) -> models.QuerySet[Group]:
        return super().get_queryset().filter(deleted=False)


class Group(models.Model):
    """Deleting a group marks it `deleted`, as Zendesk does: `objects` (the default manager,
    so every list and choice) leaves it out; `with_deleted` still finds it."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    agents = models.ManyToManyField(User, blank=True, related_name="agent_groups")
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UndeletedGroups()
    with_deleted: models.Manager[Group] = models.Manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "group"
        # A deleted group's name may be taken again.
        constraints = [
            models.UniqueConstraint(
                "name", condition=models.Q(deleted=False), name="tickets_group_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=255, unique=True)
    subdomain = models.SlugField(max_length=63, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SupportAddress(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=255, blank=True)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = "support address"
        verbose_name_plural = "support addresses"

    def __str__(self) -> str:
        return self.email


class RateLimitCounter(models.Model):
    """Hits under one key (API requests of a user, failed sign-ins of an account or address)
    until `expires_at`; then the count starts again. Written only by `slaweb.ratelimit`, with
    one atomic upsert, so every web process shares the count."""

    key = models.CharField(max_length=255, primary_key=True)
    hits = models.PositiveIntegerField()
    expires_at = models.FloatField(help_text="Unix time at which the count starts again")

    class Meta:
        verbose_name = "rate limit counter"

    def __str__(self) -> str:
        return f"Rate limit {self.key}: {self.hits} requests"
