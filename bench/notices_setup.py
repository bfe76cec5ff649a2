"""The data of the notice benchmark, written through the product's models and services.

Users are bulk-inserted level by level, so that the agency has N people when N are
connected (one password hash shared by all: nobody logs in with a password, each gets a
session row made as ``django.contrib.auth.login`` would make it); documents are
registered and submitted to the leader through ``documents.services.register_incoming``
and ``routing.services.submit_to_leader``, so that each can be directed once over HTTP.
Needs Django set up on the bench database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

from eoffice.models import User
from routing import services
from tests.builders import make_department, make_user, register

BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass
class BenchData:
    leader_pk: int
    leader_session: str
    warm_pk: int  # a user who only serves the warm-up
    clerk_pk: int
    user_pks: list[int] = field(default_factory=list)  # index i is bench user i
    sessions: list[str] = field(default_factory=list)
    docs: list[tuple[int, int]] = field(default_factory=list)  # (pk, version) to direct
    timings: dict[str, float] = field(default_factory=dict)
    password: str = ""


def _sessions_for(users: list[User]) -> list[str]:
    store = SessionStore()
    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            Session(
                session_key=get_random_string(32, VALID_KEY_CHARS),
                session_data=store.encode(data),
                expire_date=expire,
            )
        )
    Session.objects.bulk_create(rows, batch_size=2000)
    return [row.session_key for row in rows]


def add_users(data: BenchData, upto: int) -> float:
    """Grow the agency to ``upto`` bench users (100 per department), each with a session."""
    t = time.perf_counter()
    first = len(data.user_pks)
    if upto <= first:
        return 0.0
    departments = {
        i: make_department(f"P{i:03d}", f"Phòng {i:03d}")
        for i in range(first // 100, (upto - 1) // 100 + 1)
    }
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench{i:05d}",
                full_name=f"Người Dùng {i:05d}",
                department=departments[i // 100],
                password=data.password,
            )
            for i in range(first, upto)
        ],
        batch_size=2000,
    )
    data.sessions += _sessions_for(users)
    data.user_pks += [u.pk for u in users]
    return round(time.perf_counter() - t, 2)


def add_documents(data: BenchData, count: int) -> float:
    """Register ``count`` documents and submit them to the leader; returns seconds."""
    t = time.perf_counter()
    clerk = User.objects.get(pk=data.clerk_pk)
    leader = User.objects.get(pk=data.leader_pk)
    for _ in range(count):
        document = register(clerk, files=0)
        document = services.submit_to_leader(clerk, document.pk, version=None, leader=leader)
        document.refresh_from_db(fields=["version"])
        data.docs.append((document.pk, document.version))
    seconds = time.perf_counter() - t
    data.timings["documents"] = data.timings.get("documents", 0) + count
    data.timings["documents_s"] = round(data.timings.get("documents_s", 0) + seconds, 2)
    data.timings["ms_per_document"] = round(
        data.timings["documents_s"] * 1000 / data.timings["documents"], 1
    )
    return seconds


def create_data(n_docs: int) -> BenchData:
    """The leader, a clerk, a warm-up user and ``n_docs`` documents waiting for direction.

    More users come level by level (``add_users``), more documents round by round
    (``add_documents``): only what is used is made.
    """
    clerk = make_user("bench_clerk", "clerk", department=make_department("VP", "Văn phòng"))
    leader = make_user("bench_leader", "leader", position="Chủ tịch", full_name="Lãnh Đạo Bench")
    warm = make_user("bench_warmup", department=make_department("VP", "Văn phòng"))
    data = BenchData(
        leader_pk=leader.pk,
        leader_session=_sessions_for([leader])[0],
        warm_pk=warm.pk,
        clerk_pk=clerk.pk,
        password=make_password("bench-not-used"),
    )
    add_documents(data, n_docs)
    return data
