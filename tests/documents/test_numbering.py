from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from documents.models import Document, Register, Secrecy
from documents.numbering import (
    RegisterLocked,
    allocate_number,
    get_or_create_register,
    insert_numbered,
)
from routing.services import cancel_registration
from tests.builders import make_people, register
from tests.conftest import requires_postgres
from tests.query_plans import index_plan

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_numbers_start_at_one_and_follow_each_other(people):
    first = register(people.clerk)
    second = register(people.clerk)
    assert (first.register_number, second.register_number) == (1, 2)
    assert first.register_number_display == "01"
    assert first.register.year == datetime.now(HCM).year


def test_numbers_from_ten_have_no_leading_zero(people):
    for _ in range(10):
        document = register(people.clerk)
    assert document.register_number_display == "10"


def test_confidential_documents_have_their_own_register(people):
    normal = register(people.clerk)
    secret = register(people.clerk, secrecy=Secrecy.CONFIDENTIAL)
    assert secret.register != normal.register
    assert secret.register.is_confidential
    assert secret.register_number == 1


def test_each_year_starts_again_at_one(people):
    # 31/12 23:30 and 01/01 00:10, Vietnam time: the year is the agency's local year.
    with time_machine.travel(datetime(2025, 12, 31, 23, 30, tzinfo=HCM), tick=False):
        december = register(people.clerk, received_at=datetime(2025, 12, 31, 23, 0, tzinfo=HCM))
    with time_machine.travel(datetime(2026, 1, 1, 0, 10, tzinfo=HCM), tick=False):
        january = register(people.clerk, received_at=datetime(2026, 1, 1, 0, 5, tzinfo=HCM))
    assert (december.register.year, december.register_number) == (2025, 1)
    assert (january.register.year, january.register_number) == (2026, 1)


def test_cancelled_registration_keeps_its_number(people):
    first = register(people.clerk)
    cancel_registration(people.clerk, first.pk, version=first.version, reason="Gửi nhầm")
    second = register(people.clerk)
    first.refresh_from_db()
    assert first.state == Document.State.CANCELLED
    assert first.register_number == 1
    assert second.register_number == 2


def test_failed_registration_gives_its_number_back(people, monkeypatch):
    register(people.clerk)
    from documents import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "add_attachment", broken)
    with pytest.raises(RuntimeError):
        register(people.clerk)
    monkeypatch.undo()
    assert register(people.clerk).register_number == 2
    assert Document.objects.count() == 2


def test_locked_register_takes_no_number(people):
    register(people.clerk)
    Register.objects.update(is_locked=True)
    with pytest.raises(RegisterLocked):
        register(people.clerk)


def test_allocate_number_refuses_to_run_outside_a_transaction(transactional_db):
    register_row = get_or_create_register(Register.Kind.INCOMING, 2026, confidential=False)
    with pytest.raises(RuntimeError):
        allocate_number(register_row)


def _register_concurrently(workers: int, per_worker: int) -> list[int]:
    clerk = make_people().clerk
    barrier = threading.Barrier(workers)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_worker):
                document = register(clerk, files=0)
                with lock:
                    numbers.append(document.register_number)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return numbers


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_24_clerks_at_once_get_unique_gap_free_numbers_on_postgresql():
    numbers = _register_concurrently(workers=24, per_worker=5)
    assert sorted(numbers) == list(range(1, 24 * 5 + 1))
    stored = sorted(Document.objects.values_list("register_number", flat=True))
    assert stored == list(range(1, 24 * 5 + 1))
    assert Register.objects.get().last_number == 24 * 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_registration_on_the_configured_database():
    # On SQLite the IMMEDIATE transaction mode serialises the writers.
    numbers = _register_concurrently(workers=8, per_worker=3)
    assert sorted(numbers) == list(range(1, 25))


def test_history_is_append_only_in_the_database(people):
    from django.db import DatabaseError, connection, transaction

    from documents.models import DocumentEvent

    document = register(people.clerk)
    event = DocumentEvent.objects.filter(document=document).first()
    statements = ["UPDATE documents_documentevent SET note = 'x' WHERE id = %s"]
    if connection.vendor == "postgresql":
        statements.append("DELETE FROM documents_documentevent WHERE id = %s")
    for statement in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    with pytest.raises(ValueError):
        event.save()
    assert DocumentEvent.objects.filter(pk=event.pk, note=event.note).exists()


def test_the_number_is_taken_with_the_document_insert(people):
    # From the number to the COMMIT the register's counter is locked: the document is built
    # whole before; on PostgreSQL one statement takes the number and inserts the row, on
    # SQLite the statement right after the counter's UPDATE is the INSERT.
    with CaptureQueriesContext(connection) as queries:
        document = register(people.clerk, files=0)
    statements = [query["sql"] for query in queries.captured_queries]
    at = next(i for i, sql in enumerate(statements) if "last_number = last_number + 1" in sql)
    if connection.vendor == "postgresql":
        assert statements[at].startswith("WITH next_number AS (UPDATE")
        assert 'INSERT INTO "documents_document"' in statements[at]
    else:
        assert statements[at + 1].startswith('INSERT INTO "documents_document"')
    assert document.register_number == 1
    stored = Document.objects.get(pk=document.pk)
    assert (stored.register_number, stored.summary, stored.search_text) == (
        1,
        document.summary,
        document.search_text,
    )
    assert stored.updated_at is not None
    assert document.register.last_number == 1


def test_insert_numbered_takes_only_new_documents_with_a_register(people):
    document = register(people.clerk, files=0)
    with pytest.raises(ValueError), transaction.atomic():
        insert_numbered(document)  # already saved
    draft = Document(summary="x", sender_name="y", doc_type=document.doc_type)
    with pytest.raises(ValueError), transaction.atomic():
        insert_numbered(draft)  # no register
    assert Register.objects.get().last_number == 1


def test_insert_numbered_in_a_locked_register_inserts_nothing(people):
    document = register(people.clerk, files=0)
    Register.objects.update(is_locked=True)
    fresh = Document(
        register=Register.objects.get(),
        summary="x",
        sender_name="y",
        number_symbol_key="1/X",
        doc_type=document.doc_type,
    )
    with pytest.raises(RegisterLocked), transaction.atomic():
        insert_numbered(fresh)
    assert Document.objects.count() == 1


@pytest.mark.postgres
@requires_postgres
def test_every_lookup_keeps_an_index_after_the_redundant_ones_were_dropped(people):
    # Migration 0014 dropped the indexes that another one covers (each is written under
    # the counter's lock); the lookups the code makes must still find one.
    document = register(people.clerk, files=0, sender_name="Sở Tài chính")
    user, department = people.clerk, people.department
    documents = Document.objects.order_by()  # the default order would pick its own index
    cases = {
        "document_register_number_unique": [
            documents.filter(register=document.register).order_by("-register_number"),
            documents.filter(register=document.register).order_by("register_number"),
        ],
        "document_number_symbol_idx": [
            documents.filter(number_symbol_key="1/A"),
            documents.filter(number_symbol_key__in=["1/A", "2/B"]),
            documents.filter(number_symbol_key__startswith="45/"),
        ],
        "document_sender_trgm": [
            documents.filter(sender_key="so tai chinh"),
            documents.filter(sender_key__contains="tai chinh"),
        ],
        "document_drafter_idx": [documents.filter(drafter=user)],
        "document_drafting_dept_idx": [documents.filter(drafting_department=department)],
        "document_proposed_signer_idx": [documents.filter(proposed_signer=user)],
        "document_signed_by_idx": [documents.filter(signed_by=user)],
        "document_in_reply_to_idx": [documents.filter(in_reply_to=document)],
        "document_source_document_idx": [documents.filter(source_document=document)],
    }
    for index, querysets in cases.items():
        for queryset in querysets:
            assert index in index_plan(queryset), (index, str(queryset.query))
