"""Services run again when PostgreSQL aborts them for a conflict with a concurrent transaction
(a deadlock between a policy delete and a ticket save, found by the load test)."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from policies.models import Policy
from slaweb.db import retry_on_conflict
from tests.factories import make_policy
from tickets.models import User

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has one writer at a time: no deadlocks")
@pytest.mark.django_db(transaction=True)
def test_the_victim_of_a_deadlock_runs_again_and_both_writes_land() -> None:
    first, second = make_policy("first"), make_policy("second")
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: list[str] = []
    errors: list[BaseException] = []

    def lock_in_order(name: str, ids: tuple[int, int]) -> None:
        @retry_on_conflict
        @transaction.atomic
        def work() -> None:
            attempts.append(name)
            Policy.objects.select_for_update().get(pk=ids[0])
            if attempts.count(name) == 1:
                both_hold_one.wait()  # each now waits for the row the other holds
            Policy.objects.filter(pk=ids[1]).update(description=f"by {name}")

        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=lock_in_order, args=("a", (first.pk, second.pk))),
        threading.Thread(target=lock_in_order, args=("b", (second.pk, first.pk))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(attempts) == 3  # one of the two was aborted once and ran again
    descriptions = set(Policy.objects.values_list("description", flat=True))
    assert descriptions <= {"by a", "by b"}
    assert len(descriptions) in (1, 2)


@pytest.mark.django_db
def test_other_errors_are_not_retried() -> None:
    User.objects.create(email="taken@example.com", name="Taken")
    calls = []

    @retry_on_conflict
    def duplicate() -> None:
        calls.append(1)
        with transaction.atomic():
            User.objects.create(email="taken@example.com", name="Again")  # unique email

    with pytest.raises(IntegrityError):
        duplicate()
    assert len(calls) == 1
