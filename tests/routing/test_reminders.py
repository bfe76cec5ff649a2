"""Deadline reminders go out once, to the lead handler and their department head."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from realtime.models import Notice
from routing import reminders, services
from routing.models import Assignment, DeadlineReminder
from routing.services import Target
from tests.builders import directed, future, make_people


def _directed(people, days: int, *, to_department: bool = True):
    lead = None if to_department else Target(user=people.specialist)
    document = directed(people, lead=lead, deadline=future(max(days, 0)), files=0)
    if days < 0:
        Assignment.objects.filter(document=document).update(deadline=future(days))
    return document


def _reminders_for(user) -> list[str]:
    return sorted(
        Notice.objects.filter(recipient=user, kind__startswith="deadline").values_list(
            "kind", flat=True
        )
    )


def test_due_soon_today_and_overdue(people):
    _directed(people, 2)
    _directed(people, 0)
    _directed(people, -3)
    _directed(people, 5)  # not yet
    run = reminders.send_deadline_reminders()
    assert run.sent == 3
    assert _reminders_for(people.head) == ["deadline_overdue", "deadline_soon", "deadline_today"]
    assert _reminders_for(people.specialist) == []


def test_personal_lead_and_their_head_are_reminded(people):
    _directed(people, 0, to_department=False)
    reminders.send_deadline_reminders()
    assert _reminders_for(people.specialist) == ["deadline_today"]
    assert _reminders_for(people.head) == ["deadline_today"]
    assert _reminders_for(people.colleague) == []


def test_running_again_sends_nothing_new(people):
    _directed(people, -1)
    call_command("send_deadline_reminders")
    call_command("send_deadline_reminders")
    assert _reminders_for(people.head) == ["deadline_overdue"]


def test_an_extension_earns_new_reminders(people):
    document = _directed(people, 0)
    reminders.send_deadline_reminders()
    lead = Assignment.objects.get(document=document, role="lead")
    extension = services.request_extension(
        people.head,
        document.pk,
        assignment_id=lead.pk,
        requested_deadline=future(2),
        reason="Chờ số liệu",
    )
    services.decide_extension(people.leader, document.pk, extension_id=extension.pk, grant=True)
    reminders.send_deadline_reminders()
    assert _reminders_for(people.head) == ["deadline_soon", "deadline_today"]


def test_completed_work_is_not_reminded(people):
    document = _directed(people, 0)
    services.complete_document(people.head, document.pk, version=None, result="Xong")
    assert reminders.send_deadline_reminders().sent == 0


def test_a_crash_rolls_the_claim_back_and_the_next_run_sends(people, monkeypatch):
    _directed(people, 0)

    def broken(*args, **kwargs):
        raise RuntimeError("crash")

    monkeypatch.setattr(reminders, "notify", broken)
    with pytest.raises(RuntimeError):
        reminders.send_deadline_reminders()
    assert not DeadlineReminder.objects.exists()
    monkeypatch.undo()
    assert reminders.send_deadline_reminders().sent == 1


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_the_same_moment_send_each_reminder_once():
    people = make_people()
    for days in (2, 0, -1, -4):
        _directed(people, days)
    barrier = threading.Barrier(2)
    runs: list[object] = []

    def job() -> None:
        try:
            barrier.wait()
            runs.append(reminders.send_deadline_reminders())
        except Exception as error:
            runs.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, reminders.ReminderRun) for r in runs), runs
    assert sum(r.sent for r in runs) == 4
    assert DeadlineReminder.objects.count() == 4
    assert len(_reminders_for(people.head)) == 4
    assert timezone.localdate() - timedelta(days=4) in set(
        DeadlineReminder.objects.values_list("deadline", flat=True)
    )
