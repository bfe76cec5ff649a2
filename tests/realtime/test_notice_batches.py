"""Notices to many people are stored and pushed as one batch (issue 5).

The guarantees stay those of ``notify``: stored in the action's transaction, a gap-free
sequence per person, pushed only after commit, never to the actor.
"""

from __future__ import annotations

import asyncio
import os
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from realtime import push
from realtime.models import Notice, NoticeCounter
from realtime.services import notify, notify_each
from routing import forms
from routing.services import Target
from tests.builders import make_user, submitted


def _crowd(people, count: int, prefix: str = "u"):
    return [
        make_user(f"{prefix}{i}", "specialist", department=people.other_department)
        for i in range(count)
    ]


def _seqs(user) -> list[int]:
    return list(Notice.objects.filter(recipient=user).order_by("seq").values_list("seq", flat=True))


def test_a_batch_numbers_each_person_without_gaps(people):
    notify([people.head], "comment")  # the head already has notice 1
    with transaction.atomic():
        notify_each(
            [
                ([people.head, people.specialist], "document_assigned", {"role": "lead"}),
                ([people.head], "document_assigned", {"role": "inform"}),
                ([people.leader, people.specialist], "comment", {}),
            ],
            actor=people.leader,
        )
    assert _seqs(people.head) == [1, 2, 3]
    assert _seqs(people.specialist) == [1, 2]
    assert _seqs(people.leader) == []  # the actor
    roles = list(
        Notice.objects.filter(recipient=people.head, kind="document_assigned")
        .order_by("seq")
        .values_list("data__role", flat=True)
    )
    assert roles == ["lead", "inform"]
    assert NoticeCounter.objects.get(user=people.head).last_seq == 3


def test_a_batch_returns_the_notices_as_stored(people):
    """The notices handed back (and pushed) are the rows written: ids, numbers, kinds,
    payloads, document and actor, whichever way the batch was inserted."""
    document = submitted(people)
    with transaction.atomic():
        returned = notify_each(
            [
                ([people.head, people.specialist], "document_assigned", {"role": "lead"}),
                ([people.head], "document_assigned", {"role": "inform"}),
                ([people.specialist], "comment", {"text": "Ý kiến"}),
            ],
            document=document,
            actor=people.leader,
        )
    fields = ("pk", "recipient_id", "seq", "kind", "data", "document_id", "actor_id", "created_at")
    written = Notice.objects.filter(document=document).exclude(recipient=people.leader)
    stored = {n.pk: n for n in written}  # (the leader had the submission's notice)
    assert len(returned) == len(stored) == 4
    for notice in returned:
        assert not notice._state.adding
        row = stored[notice.pk]
        assert [getattr(notice, f) for f in fields] == [getattr(row, f) for f in fields]
    assert [(n.recipient_id, n.kind, n.data) for n in returned] == [
        (people.head.pk, "document_assigned", {"role": "lead"}),
        (people.specialist.pk, "document_assigned", {"role": "lead"}),
        (people.head.pk, "document_assigned", {"role": "inform"}),
        (people.specialist.pk, "comment", {"text": "Ý kiến"}),
    ]


def test_storing_costs_the_same_for_3_or_30_people(people):
    few, many = _crowd(people, 3, "few"), _crowd(people, 30, "many")
    counts = []
    for users in (few, many):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            notify(users, "comment")
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert all(_seqs(u) == [1] for u in few + many)


def test_pushed_once_after_commit_and_never_after_rollback(
    people, django_capture_on_commit_callbacks
):
    users = _crowd(people, 4)
    with mock.patch("realtime.services.send_to_groups") as send:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notices = notify(users, "comment")
            assert not send.called
        assert send.call_count == 1
        events = send.call_args.args[0]
        assert [group for group, _event in events] == [f"user.{u.pk}" for u in users]
        assert [event["id"] for _group, event in events] == [n.pk for n in notices]

        send.reset_mock()
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            notify(users, "comment")
            raise RuntimeError
        assert not send.called
    assert Notice.objects.filter(recipient__in=users).count() == 4


def test_a_direction_to_many_stores_one_notice_each(people):
    crowd = _crowd(people, 12)
    document = submitted(people)
    from routing import services

    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
        informed=[Target(user=u) for u in crowd],
    )
    assert all(_seqs(u) == [1] for u in crowd)
    assert _seqs(people.head) == [1]  # head of the lead department


def test_direction_form_checks_only_the_submitted_ids(people):
    def validate(data) -> tuple[bool, int]:
        with CaptureQueriesContext(connection) as captured:
            form = forms.DirectionForm(data)
            valid = form.is_valid()
        return valid, len(captured)

    data = {
        "text": "Giao",
        "lead": f"d:{people.department.pk}",
        "informed": [f"u:{people.outsider.pk}"],
    }
    valid, before = validate(data)
    assert valid
    _crowd(people, 25)
    valid, after = validate(data)
    assert valid and after == before
    form = forms.DirectionForm(data)
    assert form.is_valid()
    assert form.cleaned_data["lead_target"].department == people.department
    assert [t.user for t in form.cleaned_data["informed_targets"]] == [people.outsider]

    # Unknown, inactive or malformed ids are refused, and the form shown again offers
    # everyone.
    people.colleague.is_active = False
    people.colleague.save()
    for bad in (f"u:{people.colleague.pk}", "u:999999", "x:1", "u:1²", "d:"):
        form = forms.DirectionForm({**data, "informed": [bad]})
        assert not form.is_valid()
        assert "informed" in form.errors
        rendered = str(form["informed"])
        assert people.specialist.full_name in rendered


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI always does)"
)
def test_pipelined_publish_reaches_each_group_in_order():
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def run() -> list[dict]:
        layer = RedisPubSubChannelLayer(hosts=[{"address": os.environ["REDIS_URL"]}])
        channel = await layer.new_channel()
        for i in range(3):
            await layer.group_add(f"bench-pipe.{i}", channel)
        messages = [(f"bench-pipe.{i % 3}", {"type": "notice", "seq": i}) for i in range(9)]
        assert await push._publish_pipelined(layer, messages)
        received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(9)]
        await layer.flush()
        return received

    received = asyncio.run(run())
    assert [m["seq"] for m in received] == list(range(9))
