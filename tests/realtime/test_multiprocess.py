"""Several daphne processes on PostgreSQL and Redis, and a Redis that goes away."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from realtime.models import Notice
from routing import services
from tests.builders import make_people, register
from tests.conftest import POSTGRES, REDIS
from tests.realtime.servers import daphne, hello, redis_server

pytestmark = [
    pytest.mark.skipif(
        not (POSTGRES and REDIS),
        reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _waiting_for_direction(people):
    document = register(people.clerk, files=0)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    return document


def _direction_form(people, document) -> dict[str, object]:
    return {
        "version": document.version,
        "text": "Giao phòng Tài chính chủ trì",
        "lead": f"d:{people.department.pk}",
    }


async def _listen(server, session: str, last_seq: int):
    socket = await connect(
        server.ws_url,
        origin=server.base.replace("http", "http"),
        additional_headers={"Cookie": f"sessionid={session}"},
    )
    await socket.send(hello(last_seq))
    ready = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert ready["type"] == "ready"
    return socket


def test_action_on_process_a_reaches_a_client_of_process_b(tmp_path):
    import os

    people = make_people()
    document = _waiting_for_direction(people)
    head_session, leader_session = _session(people.head), _session(people.leader)
    redis_url = os.environ["REDIS_URL"]
    with daphne(redis_url, tmp_path) as a, daphne(redis_url, tmp_path) as b:

        async def scenario():
            socket = await _listen(b, head_session, 0)
            status = await asyncio.to_thread(
                a.post,
                f"/incoming/{document.pk}/direct/",
                leader_session,
                _direction_form(people, document),
            )
            assert status == 302
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            await socket.close()
            return message

        message = asyncio.run(scenario())
    notice = Notice.objects.get(recipient=people.head)
    assert message == {
        "type": "notice",
        "id": notice.pk,
        "seq": notice.seq,
        "kind": "document_assigned",
        "document_id": document.pk,
    }


def test_redis_outage_loses_nothing(tmp_path):
    people = make_people()
    first = _waiting_for_direction(people)
    second = _waiting_for_direction(people)
    head_session, leader_session = _session(people.head), _session(people.leader)
    with redis_server() as redis, daphne(redis.url, tmp_path) as server:

        async def scenario():
            socket = await _listen(server, head_session, 0)
            redis.stop()
            # The action succeeds without Redis and its notice is stored.
            status = await asyncio.to_thread(
                server.post,
                f"/incoming/{first.pk}/direct/",
                leader_session,
                _direction_form(people, first),
            )
            assert status == 302
            stored = await asyncio.to_thread(
                lambda: list(
                    Notice.objects.filter(recipient=people.head).values_list("seq", flat=True)
                )
            )
            assert stored == [1]
            with pytest.raises((TimeoutError, Exception)):
                await asyncio.wait_for(socket.recv(), 1)
            await socket.close()
            redis.start()
            # The client reconnects with what it had and is given what it missed.
            socket = await connect(
                server.ws_url,
                origin=server.base,
                additional_headers={"Cookie": f"sessionid={head_session}"},
            )
            await socket.send(hello(0))
            replayed = json.loads(await asyncio.wait_for(socket.recv(), 10))
            ready = json.loads(await asyncio.wait_for(socket.recv(), 10))
            # Push works again.
            status = await asyncio.to_thread(
                server.post,
                f"/incoming/{second.pk}/direct/",
                leader_session,
                _direction_form(people, second),
            )
            assert status == 302
            live = json.loads(await asyncio.wait_for(socket.recv(), 15))
            await socket.close()
            return replayed, ready, live

        replayed, ready, live = asyncio.run(scenario())
    assert (replayed["seq"], replayed["document_id"]) == (1, first.pk)
    assert ready == {"type": "ready", "last_seq": 1}
    assert (live["seq"], live["document_id"]) == (2, second.pk)
