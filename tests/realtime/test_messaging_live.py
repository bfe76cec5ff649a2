"""New messages reach the members' open sockets after commit, as ids only."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from realtime import messaging
from realtime.models import Message, Notice
from tests.builders import make_people
from tests.realtime.test_consumer import _connect

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def _setup():
    people = make_people()
    group = messaging.create_group(people.head, "Tổ ngân sách", [people.specialist])
    return people, group


@sync_to_async
def _post(user, conversation, text):
    return messaging.post_message(user, conversation.pk, text)


async def test_message_is_pushed_to_every_member_as_ids_only():
    people, group = await _setup()
    author_tab, _, _ = await _connect(people.head)
    member_tab, _, _ = await _connect(people.specialist)
    outsider_tab, _, _ = await _connect(people.outsider)
    colleague_tab, _, _ = await _connect(people.colleague)
    message = await _post(people.head, group, "Số liệu mật: 1.234 tỷ")
    expected = {"type": "message", "conversation_id": group.pk, "message_id": message.pk}
    for tab in (author_tab, member_tab):
        assert await tab.receive_json_from(timeout=5) == expected
    for tab in (outsider_tab, colleague_tab):
        assert await tab.receive_nothing(timeout=0.3)
    for tab in (author_tab, member_tab, outsider_tab, colleague_tab):
        await tab.disconnect()


async def test_rolled_back_post_pushes_nothing_and_stores_nothing():
    people, group = await _setup()
    tab, _, _ = await _connect(people.specialist)

    @sync_to_async
    def failing_post():
        with pytest.raises(RuntimeError), transaction.atomic():
            messaging.post_message(people.head, group.pk, "@specialist xem ngay")
            raise RuntimeError("the surrounding action failed")

    await failing_post()
    assert await tab.receive_nothing(timeout=0.5)
    assert await sync_to_async(Message.objects.count)() == 0
    assert await sync_to_async(Notice.objects.count)() == 0
    await tab.disconnect()


def test_push_is_sent_only_after_the_commit(monkeypatch):
    people = make_people()
    group = messaging.create_group(people.head, "Tổ", [people.specialist])
    sent = []

    def record(messages):
        sent.append((transaction.get_connection().in_atomic_block, list(messages)))
        return True

    monkeypatch.setattr(messaging, "send_to_groups", record)
    with transaction.atomic():
        message = messaging.post_message(people.head, group.pk, "Chờ commit")
        assert sent == []
    assert len(sent) == 1
    in_transaction, events = sent[0]
    assert not in_transaction
    assert sorted(group_name for group_name, _ in events) == sorted(
        [f"user.{people.head.pk}", f"user.{people.specialist.pk}"]
    )
    assert {frozenset(event.items()) for _, event in events} == {
        frozenset(
            {"type": "chat.message", "conversation_id": group.pk, "message_id": message.pk}.items()
        )
    }


async def test_department_push_follows_the_department():
    people = await sync_to_async(make_people)()
    conversation = await sync_to_async(messaging.ensure_department_conversation)(people.department)

    @sync_to_async
    def move_specialist():
        people.specialist.department = people.other_department
        people.specialist.save()

    await move_specialist()
    moved_tab, _, _ = await _connect(people.specialist)
    colleague_tab, _, _ = await _connect(people.colleague)
    message = await _post(people.head, conversation, "Cả phòng chú ý")
    assert (await colleague_tab.receive_json_from(timeout=5))["message_id"] == message.pk
    assert await moved_tab.receive_nothing(timeout=0.3)
    for tab in (moved_tab, colleague_tab):
        await tab.disconnect()


async def test_mention_arrives_as_a_notice_and_a_message():
    people, group = await _setup()
    tab, _, _ = await _connect(people.specialist)
    message = await _post(people.head, group, "@specialist xem giúp")
    frames = [await tab.receive_json_from(timeout=5) for _ in range(2)]
    by_type = {frame["type"]: frame for frame in frames}
    assert by_type["message"]["message_id"] == message.pk
    assert by_type["notice"]["kind"] == "mention"
    assert by_type["notice"]["document_id"] is None
    await tab.disconnect()
