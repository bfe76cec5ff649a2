"""Lists and search at scale (issue 5, parts 2 and 3), on the database bench/generate.py built.

    .venv/bin/python bench/lists.py lists  [--quick]
    .venv/bin/python bench/lists.py search [--quick]

``lists``: for a light, a median and a heavy user (picked by how many documents they can
see) and for the chairman, the in-process time of each page (Django test client, p50/p95
after warm-up) and its SQL query count; then the same pages end to end through daphne over
HTTP with 1 and 8 concurrent clients; then ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest
statements. ``search``: the register's search box (GET /incoming/?q=...) and the sender
filter, common and rare terms, with and without diacritics.

Writes bench/results/<date>-lists.json or -search.json and its section of
docs/PERFORMANCE.md. Each part stops itself (a time cap per measurement).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from generate import DEFAULT_URL, RARE_SENDER, check_url, generation_status  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
DAPHNE_PORTS = (18101, 18102, 18103, 18104)
DEADLINE = [float("inf")]  # time.monotonic() after which measurements are skipped


def over_budget() -> bool:
    return time.monotonic() > DEADLINE[0]


def log(message: str) -> None:
    print(f"[lists {time.strftime('%H:%M:%S')}] {message}", flush=True)


def server_env(url: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, no HTTPS redirect, the connection pool and
    ``CONN_MAX_AGE`` (0) as deployed."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "HTTPS": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_SETTINGS_MODULE": "eoffice.settings",
    }


def setup_django(url: str) -> None:
    os.environ.update(server_env(url))
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summarise(samples_ms: list[float]) -> dict[str, Any]:
    if not samples_ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "mean_ms": None}
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "max_ms": round(max(samples_ms), 1),
        "mean_ms": round(statistics.fmean(samples_ms), 1),
    }


# --- machine and versions -----------------------------------------------------------------------


MEASURED_SOURCES = [
    "documents/permissions.py",
    "routing/selectors.py",
    "routing/rules.py",
    "routing/views/todo.py",
    "routing/views/incoming.py",
    "eoffice/pagination.py",
    "realtime/selectors.py",
    "documents/search.py",
]


def app_sources() -> dict[str, str]:
    """Digest and time of the application files the lists run through: the code measured."""
    import hashlib

    out = {}
    for name in MEASURED_SOURCES:
        path = ROOT / name
        if path.exists():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%H:%M:%SZ")
            out[name] = f"{digest} ({stamp})"
    return out


def count_cap() -> int | None:
    """The application's count cap (eoffice.pagination.CappedPaginator), if it has one."""
    from django.conf import settings

    return getattr(settings, "EOFFICE_COUNT_CAP", None)


def machine_info(url: str) -> dict[str, Any]:
    import django
    import psycopg
    from django.db import connection

    from bench.machine import cpu_model, memory_gb

    cpu, mem_gb = cpu_model(), memory_gb()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ("
            "'shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit', "
            "'max_parallel_workers_per_gather', 'max_connections')"
        )
        settings = dict(cursor.fetchall())
    daphne_version = subprocess.run(
        [sys.executable, "-c", "import daphne; print(daphne.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "app_sources": app_sources(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "daphne": daphne_version,
        "postgresql": pg_version.split(" on ")[0],
        "postgresql_settings": settings,
        "database_url": url,
        "loadavg_start": os.getloadavg(),
    }


# --- users, sessions, paths -----------------------------------------------------------------


def visibility_counts() -> list[tuple[int, int]]:
    """(user id, documents the user can see) for every active user, in one set-based query.

    Mirrors documents.permissions.visible_documents: personal grants, plus grants to the
    user's department group for non-confidential documents, plus (clerks) every
    non-confidential incoming document. The chosen users are checked with the app's own
    visible_documents(user).count().
    """
    from django.db import connection

    sql = """
    WITH perm AS (
        SELECT p.id FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id
        WHERE c.app_label = 'documents' AND p.codename = 'view_document'
    ), unit_docs AS (
        SELECT g.group_id, count(*) AS n
        FROM documents_documentgroupobjectpermission g JOIN documents_document d
             ON d.id = g.content_object_id AND d.secrecy = 0
        WHERE g.permission_id = (SELECT id FROM perm) GROUP BY g.group_id
    ), personal AS (
        SELECT u.user_id, count(*) AS n FROM documents_documentuserobjectpermission u
        WHERE u.permission_id = (SELECT id FROM perm) GROUP BY u.user_id
    ), overlap AS (
        -- personal grants on documents also granted to the user's department
        SELECT u.user_id, count(*) AS n
        FROM documents_documentuserobjectpermission u
        JOIN eoffice_user usr ON usr.id = u.user_id
        JOIN eoffice_department dep ON dep.id = usr.department_id
        JOIN documents_documentgroupobjectpermission g
             ON g.group_id = dep.group_id AND g.content_object_id = u.content_object_id
             AND g.permission_id = u.permission_id
        JOIN documents_document d ON d.id = g.content_object_id AND d.secrecy = 0
        WHERE u.permission_id = (SELECT id FROM perm) GROUP BY u.user_id
    ), clerks AS (
        SELECT ur.user_id FROM eoffice_user_roles ur JOIN eoffice_role r ON r.id = ur.role_id
        WHERE r.code = 'clerk'
    ), open_incoming AS (
        SELECT count(*) AS n FROM documents_document WHERE direction = 'incoming' AND secrecy = 0
    ), confidential_personal AS (
        SELECT u.user_id, count(*) AS n FROM documents_documentuserobjectpermission u
        JOIN documents_document d ON d.id = u.content_object_id AND d.secrecy <> 0
        WHERE u.permission_id = (SELECT id FROM perm) GROUP BY u.user_id
    )
    SELECT usr.id,
           CASE WHEN usr.id IN (SELECT user_id FROM clerks)
                THEN (SELECT n FROM open_incoming) + coalesce(cp.n, 0)
                ELSE coalesce(p.n, 0) + coalesce(ud.n, 0) - coalesce(o.n, 0) END
    FROM eoffice_user usr
    LEFT JOIN eoffice_department dep ON dep.id = usr.department_id
    LEFT JOIN unit_docs ud ON ud.group_id = dep.group_id
    LEFT JOIN personal p ON p.user_id = usr.id
    LEFT JOIN overlap o ON o.user_id = usr.id
    LEFT JOIN confidential_personal cp ON cp.user_id = usr.id
    WHERE usr.is_active
    ORDER BY 2, 1
    """
    with connection.cursor() as cursor:
        # Grants do not change while benchmarking: computed once, kept beside the marker.
        cursor.execute("SELECT value FROM bench_generation WHERE key = 'visibility'")
        row = cursor.fetchone()
        if row:
            value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
            return [tuple(pair) for pair in value]
        cursor.execute(sql)
        counts = cursor.fetchall()
        cursor.execute(
            "INSERT INTO bench_generation (key, value) VALUES ('visibility', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(counts)],
        )
        return counts


def pick_profiles() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from eoffice.models import User

    counts = visibility_counts()
    values = [n for _uid, n in counts]
    n = len(counts)

    def at(p: float) -> tuple[int, int]:
        return counts[min(n - 1, int(p / 100 * n))]

    chairman = User.objects.get(username__startswith="chutich")
    by_id = dict(counts)
    chosen = [
        ("light", *at(10)),
        ("median", *at(50)),
        ("heavy", *counts[-1]),
        ("leader", chairman.pk, by_id[chairman.pk]),
    ]
    distribution = {
        "users": n,
        "min": values[0],
        "p10": at(10)[1],
        "p25": at(25)[1],
        "median": at(50)[1],
        "p75": at(75)[1],
        "p90": at(90)[1],
        "p99": at(99)[1],
        "max": values[-1],
        "share_100_to_10000": round(sum(1 for v in values if 100 <= v < 10_000) / n, 3),
        "users_over_100000": sum(1 for v in values if v >= 100_000),
    }
    profiles = []
    for name, uid, visible in chosen:
        user = User.objects.select_related("department", "position").get(pk=uid)
        profiles.append(
            {
                "profile": name,
                "user_id": uid,
                "username": user.username,
                "position": user.position.name if user.position else "",
                "department": user.department.name if user.department else "",
                "roles": sorted(user.role_codes),
                "visible_estimate": visible,
            }
        )
    return profiles, distribution


def session_cookie(user_id: int) -> str:
    """A logged-in session made directly in the session store (no login round trip)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from eoffice.models import User

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def work_driven_todo_count(user) -> tuple[int, float]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({TODO_IDS}) t", todo_params(user))  # noqa: S608
        value = cursor.fetchone()[0]
    return value, (time.perf_counter() - started) * 1000


def todo_params(user) -> dict[str, Any]:
    return {
        "user": user.pk,
        "head": user.is_department_head,
        "dept": user.department_id or 0,
        "clerk": user.is_clerk,
    }


def timed_count(queryset) -> tuple[int, float]:
    started = time.perf_counter()
    value = queryset.count()
    return value, (time.perf_counter() - started) * 1000


def profile_paths(profile: dict[str, Any], filters: dict[str, str]) -> dict[str, str]:
    """The pages to measure for one user, and facts about their lists."""
    from django.conf import settings

    from documents.models import Document
    from documents.permissions import visible_documents
    from eoffice.models import User

    user = User.objects.select_related("department").get(pk=profile["user_id"])
    visible, visible_ms = timed_count(visible_documents(user))
    # The to-do count from the open work (list_todo(user).count() takes seconds; the page
    # measured below runs that count anyway, and Paginator.get_page clamps to the last page).
    todo, todo_ms = work_driven_todo_count(user)
    page_size = settings.EOFFICE_PAGE_SIZE
    cap = count_cap()
    reachable = math.inf if cap is None else cap // page_size  # the paginator's last page
    todo_pages = max(1, min(math.ceil(todo / page_size), reachable))
    register_pages = max(1, math.ceil(visible / page_size))
    # Past the count cap, pages are reached by the "Next" links (keyset): the 400th page
    # (10,000 rows, the first run's deepest reachable page) stays measurable.
    deep_register = int(min(register_pages, 400))
    document = (
        visible_documents(user)
        .filter(state=Document.State.COMPLETED)
        .order_by("-received_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    ) or visible_documents(user).values_list("pk", flat=True).first()
    profile.update(
        {
            "visible": visible,
            "visible_count_ms": round(visible_ms, 1),
            "todo": todo,
            "todo_count_ms": round(todo_ms, 1),
            "todo_pages": todo_pages,
            "register_pages": register_pages,
            "register_deep_page": deep_register,
            "document_id": document,
        }
    )
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return {
        "todo_page1": "/",
        "todo_deep": f"/?page={todo_pages}",
        "register_page1": "/incoming/",
        "register_filtered": f"/incoming/?{query}",
        "register_deep": f"/incoming/?page={deep_register}",
        "document": f"/incoming/{document}/",
        "unread_count": "/notices/unread/",
    }


def next_link_to(client, path: str) -> str:
    """The deep page as a user reaches it: the "Next" link of the page before it.

    The application's links carry the last row's sort key (keyset pagination, so that a
    deep page is not an OFFSET scan); a bare ``?page=N`` is the fallback for typed URLs.
    Returns ``path`` unchanged when the page before has no such link.
    """
    import html
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(path)
    number = int(parse_qs(parts.query).get("page", ["1"])[0])
    if number <= 1:
        return path
    before = client.get(f"{parts.path}?page={number - 1}")
    match = re.search(rf'href="\?([^"]*page={number}&amp;after=[^"]+)"', before.text)
    return f"{parts.path}?{html.unescape(match.group(1))}" if match else path


# --- in-process measurement --------------------------------------------------------------------


SLOW_MS = 2000.0  # a request slower than this is measured 2 times after its warm-up
VERY_SLOW_MS = 5000.0  # and slower than this, once


def measure_in_process(
    client, path: str, *, reps: int, warmup: int, cap_s: float
) -> dict[str, Any]:
    """p50/p95 of the Django test client over ``reps`` runs after ``warmup`` runs.

    Bounded: stops after ``cap_s`` seconds (at least 3 runs), and a request slower than
    SLOW_MS after its first warm-up run gets no second warm-up and 2 measured runs (one
    above VERY_SLOW_MS).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t0 = time.perf_counter()
    status = client.get(path).status_code
    first_ms = (time.perf_counter() - t0) * 1000
    slow = first_ms > SLOW_MS
    for _ in range(0 if slow else warmup - 1):
        status = client.get(path).status_code
    wanted = (1 if first_ms > VERY_SLOW_MS else 2) if slow else reps
    samples = []
    started = time.perf_counter()
    while len(samples) < wanted:
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
        if not slow and time.perf_counter() - started > cap_s and len(samples) >= 3:
            break
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    queries = [
        {"sql": q["sql"], "ms": round(float(q["time"]) * 1000, 2)} for q in ctx.captured_queries
    ]
    return {
        "path": path,
        "status": status,
        **summarise(samples),
        "queries": len(queries),
        "sql_ms": round(sum(q["ms"] for q in queries), 1),
        "slowest_sql": sorted(queries, key=lambda q: -q["ms"])[:3],
        "capped": len(samples) < reps,
        "first_ms": round(first_ms, 1),
    }


# --- daphne ------------------------------------------------------------------------------------


class Daphnes:
    """N daphne processes on 127.0.0.1, as deploy/eoffice-daphne@.service runs them."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.ports = DAPHNE_PORTS[:count]
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Daphnes:
        env = server_env(self.url)
        for port in self.ports:
            out = Path(f"/tmp/bench-daphne-{port}.log").open("w")  # noqa: S108
            self.procs.append(
                subprocess.Popen(
                    [
                        str(ROOT / ".venv" / "bin" / "daphne"),
                        "-e",
                        f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
                        "eoffice.asgi:application",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        for port in self.ports:
            while True:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=1),
                ):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne on {port} did not start")
                time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _http_get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, cookie: str
) -> int:
    """One keep-alive HTTP/1.1 GET; returns the status. Reads Content-Length or chunked."""
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
        "Accept: text/html\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _load(
    ports: tuple[int, ...],
    path: str,
    cookie: str,
    clients: int,
    duration: float,
    max_requests: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration

    async def client(i: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[i % len(ports)])
        try:
            while time.perf_counter() < stop_at and len(latencies) < max_requests:
                t0 = time.perf_counter()
                status = await _http_get(reader, writer, path, cookie)
                latencies.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / wall, 1),
        **summarise(latencies),
    }


def warm_processes(ports: tuple[int, ...], path: str, cookie: str) -> None:
    """One request to each process: the first one loads templates and code."""
    for port in ports:
        asyncio.run(_load((port,), path, cookie, 1, 120.0, 1))


def measure_http(
    ports: tuple[int, ...],
    path: str,
    cookie: str,
    clients: int,
    duration: float,
    max_requests: int = 10_000,
    warm: bool = True,
) -> dict[str, Any]:
    if warm:
        warm_processes(ports, path, cookie)
    return asyncio.run(_load(ports, path, cookie, clients, duration, max_requests))


# --- EXPLAIN -------------------------------------------------------------------------------------


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def explain_slowest(entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) the slowest distinct SELECTs that were captured."""
    seen: set[str] = set()
    plans = []
    for entry in sorted(entries, key=lambda e: -e["ms"]):
        sql = entry["sql"]
        shape = re.sub(r"\d+", "N", re.sub(r"'[^']*'", "S", sql))
        if not sql.lstrip().upper().startswith("SELECT") or shape in seen:
            continue
        if over_budget() and len(plans) >= 4:
            break
        seen.add(shape)
        plan = explain(sql)
        execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
        plans.append(
            {
                "where": entry["where"],
                "captured_ms": entry["ms"],
                "execution_ms": float(execution.group(1)) if execution else None,
                "sql": sql,
                "plan": plan,
            }
        )
        if len(plans) >= limit:
            break
    return plans


# --- the two parts ----------------------------------------------------------------------------


def run_lists(
    args: argparse.Namespace, generation: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    from django.test import Client

    from documents.models import DocumentType

    reps, warmup, cap = (5, 1, 3.0) if args.quick else (20, 2, 6.0)
    http_seconds = 2.0 if args.quick else 4.0
    if args.smoke:
        reps, warmup, cap, http_seconds = 2, 1, 1.0, 0.3
    today = date.fromisoformat(generation["now"][:10])
    filters = {
        "state": "completed",
        "doc_type": str(DocumentType.objects.get(code="CV").pk),
        "date_from": (today - timedelta(days=365)).isoformat(),
    }
    profiles, distribution = pick_profiles()
    log(f"visibility over {distribution['users']:,} users: {distribution}")
    results: list[dict[str, Any]] = []
    captured: list[dict[str, Any]] = []
    cookies: dict[str, str] = {}
    paths_by_profile: dict[str, dict[str, str]] = {}
    data.update(
        {
            "filters": filters,
            "visibility_distribution": distribution,
            "profiles": profiles,
            "in_process": results,
            "skipped": [],
        }
    )
    for profile in profiles:
        paths = profile_paths(profile, filters)
        if profile["todo_pages"] == 1:
            del paths["todo_deep"]  # one page only: the "deep" page is page 1
        if profile["profile"] == "leader":  # the chairman: only the first pages (time)
            paths.pop("todo_deep", None)
            paths.pop("register_deep", None)
        paths_by_profile[profile["profile"]] = paths
        cookie = cookies[profile["profile"]] = session_cookie(profile["user_id"])
        log(
            f"{profile['profile']}: user {profile['username']} ({profile['position']}) sees "
            f"{profile['visible']:,} documents (count {profile['visible_count_ms']} ms), "
            f"{profile['todo']:,} to do (count {profile['todo_count_ms']} ms)"
        )
        client = Client()
        client.cookies["sessionid"] = cookie
        for name in ("register_deep", "todo_deep"):
            if name in paths:
                paths[name] = next_link_to(client, paths[name])
        for name, path in paths.items():
            if over_budget():
                data["skipped"].append(f"in-process {profile['profile']} {name}: time budget")
                continue
            r = measure_in_process(client, path, reps=reps, warmup=warmup, cap_s=cap)
            r.update({"profile": profile["profile"], "request": name})
            results.append(r)
            captured += [{**q, "where": f"{profile['profile']} {name}"} for q in r["slowest_sql"]]
            log(
                f"  {name:<18} p50 {r['p50_ms']:>8.1f} ms  p95 {r['p95_ms']:>8.1f} ms  "
                f"{r['queries']:>2} queries  (n={r['n']}, status {r['status']})"
            )

    prototypes = data["prototypes"] = []
    if not args.smoke:
        log("prototypes of the fixes (bench-side SQL, not application code)")
        try:
            measure_prototypes(profiles, filters, paths_by_profile, prototypes)
        except Exception as exc:  # the prototypes must not stop the run
            data["prototypes_error"] = repr(exc)
            log(f"prototypes failed: {exc!r}")
    log("EXPLAIN (ANALYZE, BUFFERS) of the slowest statements")
    data["explain"] = explain_slowest(captured, 3 if args.quick else 6)

    # Through daphne: 2 processes (= cores), 1 and 8 clients. Bounded: a page slower than
    # 2 s in-process is requested once with 1 client and not with 8 (8 such requests would
    # queue for minutes behind two processes); 0.5-2 s pages get one request per client.
    in_process = {(r["profile"], r["request"]): r for r in results}
    http: list[dict[str, Any]] = []
    data["http"] = http
    http_profiles = [p for p in profiles if p["profile"] in ("light", "median", "heavy")]
    http_requests = ["todo_page1", "todo_deep", "register_filtered", "document", "unread_count"]
    with Daphnes(args.url, 2) as servers:
        for profile in http_profiles:
            warm = [paths_by_profile[profile["profile"]][k] for k in ("document", "unread_count")]
            for path in warm:
                warm_processes(servers.ports, path, cookies[profile["profile"]])
            for name in http_requests:
                path = paths_by_profile[profile["profile"]].get(name)
                measured = in_process.get((profile["profile"], name))
                if path is None or measured is None:
                    continue
                if over_budget():
                    data["skipped"].append(f"http {profile['profile']} {name}: time budget")
                    continue
                p50 = measured["p50_ms"]
                for clients in (1,) if args.smoke else (1, 8):
                    base = {"profile": profile["profile"], "request": name, "processes": 2}
                    if p50 > SLOW_MS and clients > 1:
                        http.append({**base, "clients": clients, "skipped": "slower than 2 s"})
                        continue
                    limit = 1 if p50 > SLOW_MS else (clients if p50 > 500 else 10_000)
                    r = measure_http(
                        servers.ports,
                        path,
                        cookies[profile["profile"]],
                        clients,
                        http_seconds,
                        max_requests=limit,
                        warm=p50 <= 500,
                    )
                    r.update(base)
                    http.append(r)
                    log(
                        f"  http {profile['profile']:<6} {name:<18} c={clients} "
                        f"p50 {r['p50_ms']:>8.1f} p95 {r['p95_ms']:>8.1f} ms "
                        f"{r['throughput_rps']:>6.1f} req/s (n={r['requests']}, "
                        f"errors {r['errors']})"
                    )
        # The floor: a view that does one SELECT 1 (no session, no template).
        floor = measure_http(servers.ports, "/healthz", "", 1, 2.0)
        floor8 = measure_http(servers.ports, "/healthz", "", 8, 2.0)
    # Why 2 processes: the same page with 8 clients on 1, 2 and 4 processes.
    data["http_floor"] = {"healthz_1_client": floor, "healthz_8_clients": floor8}
    sweep: list[dict[str, Any]] = []
    data["process_sweep"] = sweep
    sweep_path = paths_by_profile["median"]["document"]
    for processes in () if args.smoke else (1, 2, 4):
        with Daphnes(args.url, processes) as servers:
            r = measure_http(servers.ports, sweep_path, cookies["median"], 8, http_seconds)
            r.update({"processes": processes, "request": "document", "profile": "median"})
            sweep.append(r)
            log(
                f"  sweep {processes} process(es), 8 clients: p50 {r['p50_ms']} ms, "
                f"{r['throughput_rps']} req/s"
            )
    return data


# --- prototypes of the fixes ---------------------------------------------------------------------
#
# Hand-written SQL for the query shapes the diagnosis proposes, timed against the SQL the
# application generates today, for the same users on the same data. They live here only to
# measure the fixes; the application is not changed by the benchmark.

VISIBLE_IDS = """
    SELECT u.content_object_id AS id FROM documents_documentuserobjectpermission u
    WHERE u.user_id = %(user)s AND u.permission_id = %(perm)s
    UNION
    SELECT g.content_object_id FROM documents_documentgroupobjectpermission g
    JOIN documents_document d ON d.id = g.content_object_id AND d.secrecy = 0
    WHERE g.group_id = ANY(%(groups)s) AND g.permission_id = %(perm)s
"""

TODO_IDS = """
    SELECT a.document_id AS id FROM routing_assignment a
    WHERE a.state IN ('pending', 'in_progress')
      AND (a.assignee_user_id = %(user)s
           OR (%(head)s AND a.assignee_user_id IS NULL AND a.assignee_department_id = %(dept)s))
    UNION
    SELECT a.document_id FROM routing_deadlineextension e
    JOIN routing_assignment a ON a.id = e.assignment_id
    WHERE e.state = 'pending' AND a.assigned_by_id = %(user)s
    UNION
    SELECT d.id FROM documents_document d
    WHERE %(clerk)s AND d.direction = 'incoming' AND d.state IN ('registered', 'returned')
"""


def _sql_of(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params)


def _time_sql(sql: str, params: dict[str, Any] | None = None, runs: int = 3) -> dict[str, Any]:
    from django.db import connection

    samples = []
    rows = None
    with connection.cursor() as cursor:
        for _ in range(runs):
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            samples.append((time.perf_counter() - t0) * 1000)
            if samples[-1] > SLOW_MS:
                break
    return {
        "ms": round(statistics.median(samples), 1),
        "runs": len(samples),
        "rows": len(rows or []),
        "first": rows[0][0] if rows and len(rows[0]) == 1 else None,
    }


def measure_prototypes(
    profiles: list[dict[str, Any]],
    filters: dict[str, str],
    paths: dict[str, dict[str, str]],
    out: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.contrib.auth.models import Permission

    from documents.models import DocumentType
    from eoffice.models import User
    from routing.selectors import RegisterFilter, list_incoming, list_todo

    page = settings.EOFFICE_PAGE_SIZE

    perm_id = Permission.objects.get(
        codename="view_document", content_type__app_label="documents"
    ).pk
    doc_type = DocumentType.objects.get(pk=int(filters["doc_type"]))
    date_from = date.fromisoformat(filters["date_from"])
    for profile in profiles:
        if over_budget():
            break
        user = User.objects.select_related("department").get(pk=profile["user_id"])
        groups = list(user.groups.values_list("id", flat=True))
        if user.department_id:
            groups.append(user.department.group_id)
        params = {
            **todo_params(user),
            "perm": perm_id,
            "groups": groups,
            "date_from": f"{date_from.isoformat()} 00:00:00+07",
            "doc_type": doc_type.pk,
        }
        rows: dict[str, Any] = {"profile": profile["profile"]}
        out.append(rows)

        # 1. The count under the register (Paginator.count over visible_documents).
        count_now = list_incoming(user).order_by().values("pk").query
        cap = count_cap()
        limit = f" LIMIT {cap + 1}" if cap else ""  # as the application's paginator counts
        count_sql = f"SELECT count(*) FROM ({_sql_of_query(count_now)}{limit}) s"  # noqa: S608
        rows["register_count_now"] = _time_sql(count_sql, runs=1)
        if user.is_clerk:
            # Clerks see the whole register: count at most 1,001 rows ("more than 1,000").
            capped = f"SELECT count(*) FROM ({_sql_of_query(count_now)} LIMIT 1001) s"  # noqa: S608
            rows["register_count_fixed"] = {**_time_sql(capped), "shape": "capped at 1,001"}
        else:
            fixed = f"SELECT count(*) FROM ({VISIBLE_IDS}) v"  # noqa: S608
            rows["register_count_fixed"] = {**_time_sql(fixed, params), "shape": "grant-driven"}

        # 2. Page 1 of the register: the application's query, and the grant-driven one.
        rows["register_page1_now"] = _time_sql(_sql_of(list_incoming(user)[:page]))
        if not user.is_clerk:
            fixed = (
                "SELECT d.id FROM documents_document d WHERE d.direction = 'incoming' "  # noqa: S608
                f"AND d.id IN ({VISIBLE_IDS}) ORDER BY d.received_at DESC, d.id DESC LIMIT 25"
            )
            rows["register_page1_fixed"] = {**_time_sql(fixed, params), "shape": "grant-driven"}

        # 3. The deep page: OFFSET against a keyset ("older than the last row seen").
        # (Only when the deep page is reached by number: the register now pages by keyset,
        # "after=<cursor>", which is the fixed shape itself.)
        deep = paths[profile["profile"]].get("register_deep") or ""
        if deep.rsplit("=", 1)[-1].isdigit():
            number = int(deep.rsplit("=", 1)[1])
            qs = list_incoming(user)
            rows["register_deep_now"] = _time_sql(
                _sql_of(qs[(number - 1) * page : number * page]), runs=1
            )
            last = qs.values_list("received_at", "pk")[(number - 1) * page - 1]
            keyset = qs.extra(
                where=["(documents_document.received_at, documents_document.id) < (%s, %s)"],
                params=[last[0], last[1]],
            )[:page]
            rows["register_deep_fixed"] = {**_time_sql(_sql_of(keyset)), "shape": "keyset"}

        # 4. The filtered count: __date (not sargable) and the OR'ed EXISTS, against a
        # range on received_at and the grant-driven set.
        filtered = list_incoming(
            user, RegisterFilter(state=filters["state"], doc_type=doc_type, date_from=date_from)
        )
        filtered_sql = _sql_of_query(filtered.order_by().values("pk").query)
        rows["filtered_count_now"] = _time_sql(f"SELECT count(*) FROM ({filtered_sql}) s", runs=1)  # noqa: S608
        visible_clause = (
            "(d.secrecy = 0 OR d.id IN (SELECT content_object_id FROM "
            "documents_documentuserobjectpermission WHERE user_id = %(user)s "
            "AND permission_id = %(perm)s))"
            if user.is_clerk
            else f"d.id IN ({VISIBLE_IDS})"
        )
        fixed = (
            "SELECT count(*) FROM documents_document d WHERE d.direction = 'incoming' "  # noqa: S608
            "AND d.state = 'completed' AND d.doc_type_id = %(doc_type)s "
            f"AND d.received_at >= %(date_from)s AND {visible_clause}"
        )
        rows["filtered_count_fixed"] = {
            **_time_sql(fixed, params),
            "shape": "range on received_at" + ("" if user.is_clerk else ", grant-driven"),
        }

        # 5. Việc cần xử lý: filtering on the annotation makes PostgreSQL compute it for
        # every document; drive the list from the open work instead.
        todo = list_todo(user)
        rows["todo_page1_now"] = _time_sql(_sql_of(todo[:page]), runs=1)
        todo_sql = _sql_of_query(todo.query)
        if "IS NOT NULL" in todo_sql[_top_level(todo_sql, " WHERE ") :]:
            # Only while the application filters on the annotation (the shape diagnosed).
            try:
                where_at = _top_level(todo_sql, " WHERE ")
                fixed_sql = (
                    todo_sql[:where_at].replace("%", "%%")
                    + f" WHERE documents_document.id IN ({TODO_IDS}) AND "
                    + _visibility_sql(todo_sql).replace("%", "%%")
                    + todo_sql[_top_level(todo_sql, " ORDER BY ") :].replace("%", "%%")
                    + f" LIMIT {page}"
                )
                rows["todo_page1_fixed"] = {**_time_sql(fixed_sql, params), "shape": "work-driven"}
            except Exception as exc:  # a prototype must not stop the run
                rows["todo_page1_fixed_error"] = repr(exc)
        todo_count = f"SELECT count(*) FROM ({TODO_IDS}) t"  # noqa: S608
        rows["todo_count_fixed"] = _time_sql(todo_count, params)
        rows["todo_count_fixed"]["shape"] = "work-driven (before the visibility check)"
        log(
            "  "
            + profile["profile"]
            + ": "
            + ", ".join(f"{k} {v['ms']:.0f} ms" for k, v in rows.items() if isinstance(v, dict))
        )
    return out


def _sql_of_query(query) -> str:
    from django.db import connection

    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params)


def _top_level(sql: str, keyword: str) -> int:
    """Where ``keyword`` occurs outside any parentheses (not inside a subquery)."""
    depth = 0
    for i, ch in enumerate(sql):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and sql.startswith(keyword, i):
            return i
    raise ValueError(keyword)


def _visibility_sql(todo_sql: str) -> str:
    """The visible_documents(...) part of list_todo's WHERE clause, as generated today."""
    where = todo_sql[
        _top_level(todo_sql, " WHERE ") + len(" WHERE ") : _top_level(todo_sql, " ORDER BY ")
    ]

    def first_group(text: str) -> str:
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                return text[: i + 1]
        return text

    # WHERE ((<visibility>) AND (<waiting>)): drop the outer parentheses, keep the first.
    if first_group(where) == where:
        where = where[1:-1]
    return first_group(where)


SEARCH_TERMS = [
    # (label, kind, with diacritics, without)
    ("ngân sách", "common", "ngân sách", "ngan sach"),
    ("chuyển đổi số", "common", "chuyển đổi số", "chuyen doi so"),
    ("voọc mũi hếch", "rare", "voọc mũi hếch", "vooc mui hech"),
    ("rare sender", "rare", "Chè Shan tuyết", "che shan tuyet"),
    ("number/symbol", "number", "5052/STC", "5052/stc"),
    ("number/symbol QĐ", "number", "45/QĐ-UBND", "45/QD-UBND"),
]
SENDER_TERMS = [
    ("sender filter, common", "common", "Sở Tài chính", "so tai chinh"),
    ("sender filter, rare", "rare", RARE_SENDER, "hop tac xa che shan tuyet"),
]


def run_search(
    args: argparse.Namespace, generation: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    from urllib.parse import urlencode

    from django.test import Client

    from eoffice.models import User
    from routing.selectors import RegisterFilter, list_incoming

    reps, warmup, cap = (5, 1, 2.0) if args.quick else (20, 2, 4.0)
    if args.smoke:
        reps, warmup, cap = 2, 1, 1.0
    profiles, _distribution = pick_profiles()
    chosen = [p for name in ("heavy", "median") for p in profiles if p["profile"] == name]
    results: list[dict[str, Any]] = []
    captured: list[dict[str, Any]] = []
    data.update({"profiles": chosen, "results": results, "skipped": []})
    for profile in chosen:
        user = User.objects.get(pk=profile["user_id"])
        client = Client()
        client.cookies["sessionid"] = session_cookie(user.pk)
        cases = [(label, kind, "q", w, wo) for label, kind, w, wo in SEARCH_TERMS]
        cases += [(label, kind, "sender", w, wo) for label, kind, w, wo in SENDER_TERMS]
        for label, kind, field, with_marks, without_marks in cases:
            for variant, text in (("with diacritics", with_marks), ("without", without_marks)):
                if over_budget():
                    data["skipped"].append(f"{profile['profile']} {field}={text}: time budget")
                    continue
                path = "/incoming/?" + urlencode({field: text})
                filters = RegisterFilter(**{field: text})
                matches, count_ms = timed_count(list_incoming(user, filters))
                r = measure_in_process(client, path, reps=reps, warmup=warmup, cap_s=cap)
                r.update(
                    {
                        "profile": profile["profile"],
                        "term": label,
                        "kind": kind,
                        "field": field,
                        "text": text,
                        "variant": variant,
                        "matches": matches,
                        "count_ms": round(count_ms, 1),
                    }
                )
                results.append(r)
                captured += [
                    {**q, "where": f"{profile['profile']} search {field}={text!r}"}
                    for q in r["slowest_sql"]
                ]
                log(
                    f"  {profile['profile']:<6} {field}={text!r:<28} {matches:>8,} matches  "
                    f"p50 {r['p50_ms']:>8.1f} ms  p95 {r['p95_ms']:>8.1f} ms  "
                    f"{r['queries']} queries"
                )
    log("EXPLAIN (ANALYZE, BUFFERS) of the slowest statements")
    data["explain"] = explain_slowest(captured, 2 if args.quick else 4)
    return data


# --- report ------------------------------------------------------------------------------------


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def write_results(part: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{payload['date']}-{part}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    return path


def replace_section(title: str, body: str) -> None:
    """Replace (or append) the "## <title>" section of docs/PERFORMANCE.md, nothing else."""
    if PERFORMANCE_MD.exists():
        text = PERFORMANCE_MD.read_text()
    else:
        text = (
            "# Performance\n\n"
            "Benchmarks of issue 5 (`make bench`), run on this machine against PostgreSQL "
            "and Redis on 127.0.0.1. Each section is rewritten by its benchmark; the raw "
            "numbers are in `bench/results/`.\n"
        )
    heading = f"## {title}\n"
    section = heading + "\n" + body.strip() + "\n"
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = re.search(r"^## ", text[start + len(heading) :], flags=re.MULTILINE)
        end = start + len(heading) + nxt.start() if nxt else len(text)
        text = text[:start] + section + ("\n" if nxt else "") + text[end:]
    PERFORMANCE_MD.write_text(text)


def update_report(payload: dict[str, Any]) -> None:
    import lists_report as report

    if payload["part"] == "lists":
        replace_section("Lists at scale", report.lists_markdown(payload))
    else:
        replace_section("Search at scale", report.search_markdown(payload))
    log(f"updated {PERFORMANCE_MD.relative_to(ROOT)}")


def rerender() -> int:
    """Rewrite both sections from the newest results (after editing the diagnosis)."""
    for part in ("lists", "search"):
        runs = sorted(RESULTS_DIR.glob(f"*-{part}.json"))
        if runs:
            update_report(json.loads(runs[-1].read_text()))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "part", choices=["lists", "search", "report"], help="report: rewrite PERFORMANCE.md"
    )
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true", help="few repetitions")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="harness check on tiny data (make test): 2 repetitions, 1 HTTP client, no sweep",
    )
    parser.add_argument("--no-report", action="store_true", help="do not touch PERFORMANCE.md")
    parser.add_argument("--out", help="directory for the JSON results (default bench/results)")
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds before measurements are skipped (default 600 lists, 300 search)",
    )
    args = parser.parse_args()
    global RESULTS_DIR
    if args.out:
        RESULTS_DIR = Path(args.out)
    if args.part == "report":
        return rerender()
    budget = args.budget or (600.0 if args.part == "lists" else 300.0)
    DEADLINE[0] = time.monotonic() + budget
    check_url(args.url)
    generation = generation_status(args.url)
    if generation is None:
        log("no generated data: run .venv/bin/python bench/generate.py first")
        return 2
    setup_django(args.url)
    started = time.perf_counter()
    info = machine_info(args.url)
    data: dict[str, Any] = {}
    runner = run_lists if args.part == "lists" else run_search
    try:
        runner(args, generation, data)
    except BaseException as exc:
        data["error"] = repr(exc)
        write_results(
            f"{args.part}-partial", {"date": today(), "part": args.part, "machine": info, **data}
        )
        log(f"failed; what was measured is in bench/results/{today()}-{args.part}-partial.json")
        raise
    info["loadavg_end"] = os.getloadavg()
    if app_sources() != info["app_sources"]:
        info["app_sources_changed_during_run"] = app_sources()
        log("the application's code changed during the run (see machine.app_sources*)")
    payload = {
        "part": args.part,
        "date": today(),
        "command": " ".join(sys.argv),
        "quick": args.quick or args.smoke,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": info,
        "generation": generation,
        **data,
    }
    path = write_results(args.part, payload)
    log(f"results in {path} ({payload['seconds']} s)")
    if not args.no_report:
        update_report(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
