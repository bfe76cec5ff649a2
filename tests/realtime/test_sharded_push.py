"""A notice batch to many people is pushed per shard group, and every socket still gets
exactly its user's notices, in order, through the real ASGI app and channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from realtime import services
from realtime.models import Notice
from realtime.push import NOTICE_SHARDS, notice_shard_group, user_group
from realtime.services import notice_messages, notify, notify_each
from tests.builders import make_people, make_user
from tests.realtime.test_consumer import _connect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_to_many_people_is_one_message_per_shard():
    notices = [Notice(pk=1000 + u, recipient_id=u, seq=7, kind="reminder") for u in range(1, 301)]
    messages = notice_messages(notices, document_id=42)
    assert len(messages) == NOTICE_SHARDS
    delivered = {}
    for group, message in messages:
        assert message["type"] == "notice.batch"
        for user, entries in message["notices"].items():
            assert group == notice_shard_group(int(user))
            delivered[int(user)] = entries
    assert delivered == {u: [[1000 + u, 7, "reminder", 42]] for u in range(1, 301)}
    # A small batch stays one message per person, to their own group.
    few = notice_messages(notices[:3], document_id=None)
    assert [group for group, _message in few] == [user_group(1), user_group(2), user_group(3)]


async def test_sockets_take_their_own_notices_out_of_a_sharded_batch(monkeypatch):
    monkeypatch.setattr(services, "SHARDED_PUSH_FROM", 2)  # shard even a small batch

    @sync_to_async
    def setup():
        people = make_people()
        # Same shard as the head, not a recipient: must receive nothing.
        neighbour = make_user(f"n{people.head.pk}", "specialist", department=people.department)
        while neighbour.pk % NOTICE_SHARDS != people.head.pk % NOTICE_SHARDS:
            neighbour = make_user(f"n{neighbour.pk}", "specialist", department=people.department)
        return people, neighbour

    people, neighbour = await setup()
    head_tab1, connected, _ = await _connect(people.head)
    head_tab2, _, _ = await _connect(people.head)
    specialist_tab, _, _ = await _connect(people.specialist)
    neighbour_tab, _, _ = await _connect(neighbour)
    assert connected

    @sync_to_async
    def announce():
        notify([people.head], "comment")  # the head's notice 1, pushed to his own group
        with transaction.atomic():
            return notify_each(
                [
                    ([people.head, people.specialist], "document_assigned", {}),
                    ([people.head], "reminder", {}),
                ]
            )

    batch = await announce()
    head_ids = {n.pk for n in batch if n.recipient_id == people.head.pk}
    head_expected = [(1, "comment"), (2, "document_assigned"), (3, "reminder")]
    for tab in (head_tab1, head_tab2):
        got = [await tab.receive_json_from(timeout=5) for _ in head_expected]
        assert [(m["seq"], m["kind"]) for m in got] == head_expected
        assert {m["id"] for m in got[1:]} == head_ids
    message = await specialist_tab.receive_json_from(timeout=5)
    assert (message["seq"], message["kind"], message["type"]) == (1, "document_assigned", "notice")
    for tab in (head_tab1, head_tab2, specialist_tab, neighbour_tab):
        assert await tab.receive_nothing(timeout=0.3)
        await tab.disconnect()
