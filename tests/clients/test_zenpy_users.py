"""zenpy (PyPI) against a live slaweb: `Zenpy.users` as a zenpy script calls it: create without
an email, create_or_update, search, the role filter, show_many by ids and external ids, and
delete.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from zenpy.lib.api_objects import User as ZenpyUser
from zenpy.lib.exception import APIException

from tests.clients.conftest import Account, ZenpyHarness
from tickets import services
from tickets.models import User

pytestmark = pytest.mark.clients


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_create_a_user_with_only_a_name(zenpy_api: ZenpyHarness, server_url: str) -> None:
    created = zenpy_api.client.users.create(ZenpyUser(name="Walk-in customer"))

    assert isinstance(created, ZenpyUser)
    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/users.json"
    assert post.body == {"user": {"name": "Walk-in customer"}}
    assert post.status == 201
    assert post.headers["Location"] == f"{server_url}/api/v2/users/{created.id}.json"
    assert created.email is None
    assert created.role == "end-user"
    assert created.active is True
    stored = User.objects.get(pk=created.id)
    assert stored.email is None
    assert stored.name == "Walk-in customer"


def test_create_with_profile_keys(zenpy_api: ZenpyHarness) -> None:
    created = zenpy_api.client.users.create(
        ZenpyUser(
            name="Roger",
            email="roger@example.org",
            locale="en-GB",
            phone="+44 20 7946 0000",
            verified=True,
            tags=["vip"],
            external_id="crm-1",
        )
    )

    assert (created.locale, created.phone, created.verified) == ("en-GB", "+44 20 7946 0000", True)
    assert (created.tags, created.external_id) == (["vip"], "crm-1")


def test_create_or_update_creates_then_updates(zenpy_api: ZenpyHarness, server_url: str) -> None:
    users = zenpy_api.client.users

    created = users.create_or_update(ZenpyUser(name="Ann", email="ann@example.org"))
    first = zenpy_api.last("POST")
    assert first.url == f"{server_url}/api/v2/users/create_or_update.json"
    assert first.status == 201
    assert first.headers["Location"] == f"{server_url}/api/v2/users/{created.id}.json"

    updated = users.create_or_update(
        ZenpyUser(email="ann@example.org", name="Ann Smith", external_id="E-1")
    )
    second = zenpy_api.last("POST")
    assert second.status == 200
    assert second.headers["Location"] == f"{server_url}/api/v2/users/{created.id}.json"
    assert (updated.id, updated.name, updated.external_id) == (created.id, "Ann Smith", "E-1")

    by_external_id = users.create_or_update(ZenpyUser(external_id="e-1", phone="555 0102"))
    assert zenpy_api.last("POST").status == 200
    assert by_external_id.id == created.id
    assert by_external_id.phone == "555 0102"
    assert User.objects.filter(name="Ann Smith").count() == 1


def test_search_by_query_and_external_id(zenpy_api: ZenpyHarness, server_url: str) -> None:
    john = services.user_create(name="John Doe", email="jdoe@example.org", external_id="X-9")
    services.user_create(name="Jane Doe", email="jane@example.org", tags=["beta"])

    found = list(zenpy_api.client.users.search(query="email:jdoe@example.org"))
    exchange = zenpy_api.last("GET")
    assert path_of(exchange.url) == "/api/v2/users/search.json"
    assert query_of(exchange.url) == {"query": ["email:jdoe@example.org"]}
    assert [u.id for u in found] == [john.pk]
    assert all(isinstance(u, ZenpyUser) for u in found)

    assert sorted(u.name for u in zenpy_api.client.users.search(query="doe")) == [
        "Jane Doe",
        "John Doe",
    ]
    assert [u.name for u in zenpy_api.client.users.search(query="tags:beta")] == ["Jane Doe"]
    assert [u.id for u in zenpy_api.client.users.search(external_id="x-9")] == [john.pk]


def test_list_by_roles_sends_role_brackets(zenpy_api: ZenpyHarness, account: Account) -> None:
    agent = services.user_create(name="Agent", email="agent@example.org", role="agent")
    services.user_create(name="Customer", email="customer@example.org")

    staff = list(zenpy_api.client.users(role=["agent", "admin"]))

    exchange = zenpy_api.last("GET")
    assert path_of(exchange.url) == "/api/v2/users.json"
    assert query_of(exchange.url)["role[]"] == ["agent", "admin"]
    assert sorted(u.id for u in staff) == sorted([account.admin.pk, agent.pk])
    assert [u.id for u in zenpy_api.client.users(role="agent")] == [agent.pk]


def test_show_many_by_ids_and_external_ids(zenpy_api: ZenpyHarness) -> None:
    first = services.user_create(name="First", external_id="one")
    second = services.user_create(name="Second", email="second@example.org", external_id="TWO")

    shown = list(zenpy_api.client.users(ids=[second.pk, first.pk]))
    exchange = zenpy_api.last("GET")
    assert path_of(exchange.url) == "/api/v2/users/show_many.json"
    assert query_of(exchange.url)["ids"] == [f"{second.pk},{first.pk}"]
    assert [u.id for u in shown] == [second.pk, first.pk]

    by_external = list(zenpy_api.client.users(external_id="two"))
    assert query_of(zenpy_api.last("GET").url)["external_ids"] == ["two"]
    assert [u.id for u in by_external] == [second.pk]


def test_delete_answers_the_user_inactive(zenpy_api: ZenpyHarness, server_url: str) -> None:
    leaver = zenpy_api.client.users.create(ZenpyUser(name="Leaver", email="leaver@example.org"))

    deleted = zenpy_api.client.users.delete(leaver)

    exchange = zenpy_api.last("DELETE")
    assert exchange.url == f"{server_url}/api/v2/users/{leaver.id}.json"
    assert exchange.body["user"]["id"] == leaver.id  # zenpy sends the user along; ignored
    assert exchange.status == 200
    assert isinstance(deleted, ZenpyUser)
    assert (deleted.id, deleted.active) == (leaver.id, False)
    assert User.objects.get(pk=leaver.id).active is False
    assert leaver.id not in [u.id for u in zenpy_api.client.users()]


def test_deleting_yourself_is_a_clear_422(zenpy_api: ZenpyHarness, account: Account) -> None:
    with pytest.raises(APIException) as raised:
        zenpy_api.client.users.delete(ZenpyUser(id=account.admin.pk, name="Me"))

    assert zenpy_api.last("DELETE").status == 422
    assert "yourself" in str(raised.value)
    assert User.objects.get(pk=account.admin.pk).active is True
