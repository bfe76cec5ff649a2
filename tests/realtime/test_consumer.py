"""The websocket endpoint through Channels' WebsocketCommunicator and the real ASGI app."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from eoffice.asgi import application
from realtime.consumers import MAX_FRAME
from realtime.models import Notice
from realtime.services import notify
from tests.builders import make_people

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connect(user=None, *, origin=ORIGIN, hello: int | None = 0):
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await sync_to_async(_session_cookie)(user)))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if connected and hello is not None:
        await communicator.send_json_to({"type": "hello", "last_seq": hello})
        ready = await communicator.receive_json_from(timeout=5)
        assert ready["type"] == "ready"
    return communicator, connected, code


@sync_to_async
def _people():
    return make_people()


@sync_to_async
def _notify(users, kind="document_assigned"):
    with transaction.atomic():
        return notify(users, kind)


async def test_anonymous_is_refused():
    _communicator, connected, code = await _connect(None, hello=None)
    assert not connected
    assert code == 4401


async def test_foreign_origin_is_refused():
    people = await _people()
    _communicator, connected, _code = await _connect(
        people.head, origin=(b"origin", b"https://evil.example.com"), hello=None
    )
    assert not connected


async def test_missing_origin_is_refused():
    people = await _people()
    _communicator, connected, _code = await _connect(people.head, origin=None, hello=None)
    assert not connected


async def test_notice_is_pushed_after_commit_to_every_tab():
    people = await _people()
    tab1, connected, _ = await _connect(people.head)
    tab2, _, _ = await _connect(people.head)
    other, _, _ = await _connect(people.outsider)
    assert connected
    notices = await _notify([people.head])
    for tab in (tab1, tab2):
        message = await tab.receive_json_from(timeout=5)
        assert message == {
            "type": "notice",
            "id": notices[0].pk,
            "seq": 1,
            "kind": "document_assigned",
            "document_id": None,
        }
    assert await other.receive_nothing(timeout=0.3)
    for communicator in (tab1, tab2, other):
        await communicator.disconnect()


async def test_rolled_back_action_pushes_nothing_and_stores_nothing():
    people = await _people()
    tab, _, _ = await _connect(people.head)

    @sync_to_async
    def failing_action():
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([people.head], "document_assigned")
            raise RuntimeError("the action failed")

    await failing_action()
    assert await tab.receive_nothing(timeout=0.5)
    assert await sync_to_async(Notice.objects.count)() == 0
    await tab.disconnect()


async def test_replay_after_reconnect_in_order_without_duplicates():
    people = await _people()
    tab, _, _ = await _connect(people.head)
    await _notify([people.head])
    first = await tab.receive_json_from(timeout=5)
    await tab.disconnect()
    # Offline: three notices arrive meanwhile.
    for _ in range(3):
        await _notify([people.head])
    tab, _, _ = await _connect(people.head, hello=None)
    await tab.send_json_to({"type": "hello", "last_seq": first["seq"]})
    replayed = [await tab.receive_json_from(timeout=5) for _ in range(4)]
    assert [m.get("seq") for m in replayed] == [2, 3, 4, None]
    assert replayed[-1] == {"type": "ready", "last_seq": 4}
    # A live notice after the replay comes once.
    await _notify([people.head])
    live = await tab.receive_json_from(timeout=5)
    assert live["seq"] == 5
    assert await tab.receive_nothing(timeout=0.3)
    await tab.disconnect()


async def test_lost_push_is_filled_from_the_database():
    people = await _people()
    tab, _, _ = await _connect(people.head)

    @sync_to_async
    def silent_notice():
        # Stored but never pushed, as when the channel layer drops a message.
        from realtime import services

        original = services.send_to_groups
        services.send_to_groups = lambda messages: True
        try:
            with transaction.atomic():
                notify([people.head], "document_assigned")
        finally:
            services.send_to_groups = original

    await silent_notice()
    assert await tab.receive_nothing(timeout=0.3)
    await _notify([people.head])
    received = [await tab.receive_json_from(timeout=5) for _ in range(2)]
    assert [m["seq"] for m in received] == [1, 2]
    await tab.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        json.dumps({"no": "type"}),
        json.dumps({"type": "unknown"}),
        json.dumps({"type": "hello", "last_seq": "ten"}),
        json.dumps({"type": "hello", "last_seq": -1}),
        json.dumps([1, 2, 3]),
    ],
)
async def test_malformed_messages_close_the_socket(frame):
    people = await _people()
    tab, _, _ = await _connect(people.head, hello=None)
    await tab.send_to(text_data=frame)
    output = await tab.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4400}


async def test_oversized_and_binary_frames_close_the_socket():
    people = await _people()
    tab, _, _ = await _connect(people.head, hello=None)
    await tab.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * MAX_FRAME}))
    assert await tab.receive_output(timeout=5) == {"type": "websocket.close", "code": 1009}
    tab, _, _ = await _connect(people.head, hello=None)
    await tab.send_to(bytes_data=b"\x00\x01")
    assert await tab.receive_output(timeout=5) == {"type": "websocket.close", "code": 4400}


async def test_ping_pong():
    people = await _people()
    tab, _, _ = await _connect(people.head)
    await tab.send_json_to({"type": "ping"})
    assert await tab.receive_json_from(timeout=5) == {"type": "pong"}
    await tab.disconnect()


async def test_deactivating_a_user_closes_their_sockets():
    people = await _people()
    tab, _, _ = await _connect(people.head)

    @sync_to_async
    def deactivate():
        people.head.is_active = False
        people.head.save()

    await deactivate()
    assert await tab.receive_output(timeout=5) == {"type": "websocket.close", "code": 4001}


async def test_watching_a_document_brings_its_comments_live():
    people = await _people()

    @sync_to_async
    def document_for_department():
        from routing import services
        from routing.services import Target
        from tests.builders import register

        document = register(people.clerk, files=0)
        services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
        services.direct_document(
            people.leader,
            document.pk,
            version=None,
            text="Giao",
            lead=Target(department=people.department),
        )
        return document

    document = await document_for_department()
    watcher, _, _ = await _connect(people.colleague)  # sees it through the department grant
    outsider, _, _ = await _connect(people.outsider)
    for socket in (watcher, outsider):
        await socket.send_json_to({"type": "watch", "document_id": document.pk})
        # Frames are handled in order: the pong says the watch has been handled.
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}

    @sync_to_async
    def comment():
        from routing import services

        services.add_comment(people.head, document.pk, "Đề nghị bổ sung số liệu")

    await comment()
    assert await watcher.receive_json_from(timeout=5) == {
        "type": "document",
        "document_id": document.pk,
        "change": "comment",
    }
    # Someone who may not see the document is never joined to its group.
    assert await outsider.receive_nothing(timeout=0.5)
    for socket in (watcher, outsider):
        await socket.disconnect()


async def test_watch_needs_a_document_id():
    people = await _people()
    tab, _, _ = await _connect(people.head)
    await tab.send_json_to({"type": "watch", "document_id": "12"})
    assert await tab.receive_output(timeout=5) == {"type": "websocket.close", "code": 4400}
