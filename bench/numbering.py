"""Issue 5, part 4: gap-free numbering under contention, against a floor measured in the same run.

    .venv/bin/python bench/numbering.py            (what `make bench-numbering` runs, ~5 min)
    .venv/bin/python bench/numbering.py --smoke --no-docs --out /tmp/x   (harness check)

What it does, bounded by --budget (default 290 s; every measurement stops itself):

1. PostgreSQL: creates its own database (``eoffice_bench_numbering`` on 127.0.0.1), migrates
   it, and runs a driver process (this file with ``--driver``) that sets Django up on it and
   forks, for 2, 8, 32 and 64 workers, one process per worker. SQLite: the same on a file
   database in a temporary directory (the embedded default: WAL, IMMEDIATE transactions,
   eoffice/settings.py) with 2, 4 and 8 workers.
2. **Product**: each worker calls ``documents.services.register_incoming`` (the clerk's real
   path: duplicate check, then one transaction that builds the document, takes the register's
   counter and inserts the row with ``documents.numbering.insert_numbered``, then writes its
   history and the clerk's grant) in a loop; and that transaction reduced to its numbering
   part (``product``: the same calls up to ``insert_numbered``). 5% of the transactions are
   made to fail right after the document row was inserted, i.e. after the number was taken
   (the bench raises from a database execute wrapper), so the transaction's own
   ``atomic()`` rolls back.
3. **Floor**: the same worker counts doing ``UPDATE bench_counter SET n = n + 1 ... RETURNING n``
   in a transaction, through psycopg (PostgreSQL) or the stdlib sqlite3 module with
   ``BEGIN IMMEDIATE`` (SQLite) directly, no Django, also with 5% rolled back after the
   number was returned.
4. Per level, product and floor are measured in alternating slices (--rounds each, the
   order rotating): a warm-up, then a fixed window in which committed allocations are
   counted. Wait = time from the start of the transaction (Django's ``atomic()`` turning
   autocommit off: on PostgreSQL BEGIN goes out with the first statement, on SQLite it is
   ``BEGIN IMMEDIATE``, where the write lock is waited for) to holding the number
   (``allocate_number`` returned); hold = from holding the number to the end of COMMIT or
   ROLLBACK.
5. After every slice: the committed numbers (document rows of the register, or the floor
   workers' committed numbers) must be exactly base+1..base+N for the counter's final value
   base+N: no duplicate, no gap; a rolled-back number must have been given again. At the
   end the whole register is checked from 1.
6. Writes bench/results/<date>-numbering.json and the "Numbering" block of
   docs/PERFORMANCE.md; drops the database and the temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable
RESULTS_DIR = ROOT / "bench" / "results"
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/eoffice_bench_numbering"
BEGIN = "<!-- numbering:generated:begin -->"
END = "<!-- numbering:generated:end -->"
ROLLBACK_SHARE = 0.05
TARGET_WORKERS = 32
TARGET_RATE = 300.0
SYSTEMS = ("product", "floor")  # every round
FULL = "register_incoming"  # the first round only: ~20 ms of CPU per call
clock = time.perf_counter  # CLOCK_MONOTONIC: comparable between the forked workers


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[bench-numbering {stamp}] {message}", flush=True)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms_summary(seconds: list[float]) -> dict[str, Any]:
    values = [s * 1000 for s in seconds]
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "mean_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
        "mean_ms": round(statistics.fmean(values), 2),
    }


# --- workers (forked by the driver) ---------------------------------------------------------


class BenchRollback(Exception):
    """Raised inside register_incoming's transaction, after the number was taken."""


def _worker_main(engine, system, index, conf, barrier, queue) -> None:
    records: list[tuple] = []
    errors: list[str] = []
    t_begin = 0.0
    try:
        run = (floor_worker if system == "floor" else product_worker)(engine, index, conf)
        loop = next(run)  # connected and ready
        barrier.wait(timeout=120)
        t_begin = clock()
        stop_at = t_begin + conf["warmup"] + conf["duration"]
        cap = conf["cap"]
        rng = random.Random(conf["seed"] * 1000 + index)
        i = 0
        while clock() < stop_at and (cap is None or i < cap):
            rollback = rng.random() < ROLLBACK_SHARE
            try:
                records.append(loop(i, rollback))
            except Exception as exc:  # a failure the product should not have: keep going
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")
                records.append((clock(), 0.0, clock(), 0, "error", 0, 0.0, 0.0))
            i += 1
        with contextlib.suppress(StopIteration):
            next(run)  # close
    except Exception:
        errors.append(traceback.format_exc()[-2000:])
    queue.put({"worker": index, "t_begin": t_begin, "records": records, "errors": errors})


def product_worker(engine: str, index: int, conf: dict[str, Any]):
    """The product's numbering path in a loop, timed from inside (see the module docstring).

    ``product``: the transaction of ``register_incoming`` reduced to its numbering part: the
    register, the document built, ``insert_numbered`` (``allocate_number``, then the row's
    INSERT). ``register_incoming``: the service itself.
    """
    from django.db import OperationalError, connection, transaction
    from django.utils import timezone

    import documents.numbering as numbering
    from documents.models import Document, DocumentType, Register
    from documents.numbering import get_or_create_register, insert_numbered
    from documents.services import IncomingData, build_incoming, register_incoming
    from eoffice.models import User

    real_allocate = numbering.allocate_number
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(
            tx=None, held=None, number=0, rollback=False, statements=0, at_held=0, sql=0.0, end=0.0
        )

    reset()
    original_set_autocommit = connection.set_autocommit

    def set_autocommit(autocommit, *args, **kwargs):
        if not autocommit and state["tx"] is None:
            state["tx"] = clock()
        return original_set_autocommit(autocommit, *args, **kwargs)

    def allocate(register):
        number = real_allocate(register)
        state["held"] = clock()
        state["number"] = number
        state["at_held"] = state["statements"]
        return number

    original_commit, original_rollback = connection.commit, connection.rollback

    def commit():
        state["end"] = clock()  # the last statement's reply is in: COMMIT starts
        return original_commit()

    def rollback():
        state["end"] = clock()
        return original_rollback()

    def execute_wrapper(execute, sql, params, many, context):
        t = clock()
        # insert_numbered on PostgreSQL: one statement waits for the counter's lock, takes
        # the number and inserts the row. The client cannot see when inside it the lock was
        # granted, so, as for allocate_number, the number is "held" when the statement
        # returns it: its INSERT is then counted in the wait, not in the hold.
        one_statement = sql.startswith("WITH next_number AS (UPDATE")
        try:
            result = execute(sql, params, many, context)
        finally:
            if state["held"] is not None:
                state["sql"] += clock() - t
        state["statements"] += 1
        if one_statement:
            state["held"] = clock()
            state["at_held"] = state["statements"]
        if state["rollback"] and 'INSERT INTO "documents_document" ' in sql:
            if one_statement:
                state["number"] = context["cursor"].fetchone()[1]
            raise BenchRollback  # the document row is written, the number taken: now fail
        return result

    connection.set_autocommit = set_autocommit  # type: ignore[method-assign]
    connection.commit = commit  # type: ignore[method-assign]
    connection.rollback = rollback  # type: ignore[method-assign]
    numbering.allocate_number = allocate  # insert_numbered looks it up at call time
    clerk = User.objects.get(pk=conf["clerks"][index % len(conf["clerks"])])
    doc_type = DocumentType.objects.get(pk=conf["doc_type"])
    senders = ["Sở Tài chính", "Sở Nội vụ", "UBND huyện Bình Chánh", "Công an tỉnh"]
    issued_on = timezone.localdate() - timedelta(days=1)
    tag = conf["tag"]
    full = conf["system"] == FULL

    def numbering_path(data: IncomingData) -> Document:
        """register_incoming's transaction, numbering part: same statements, same order
        (the document built whole, then ``insert_numbered``: the number, the INSERT)."""
        now = timezone.now()
        with transaction.atomic():
            register = get_or_create_register(
                Register.Kind.INCOMING, timezone.localdate(now).year, confidential=False
            )
            document = build_incoming(clerk, data, register, now)
            insert_numbered(document)
        return document

    def one(i: int, rollback: bool):
        reset()
        state["rollback"] = rollback
        data = IncomingData(
            sender_name=senders[i % len(senders)],
            # "-", not ".": number_symbol_key drops dots, and "1.23" would then be "12.3",
            # a possible duplicate that register_incoming refuses.
            number_symbol=f"{tag}-{index}-{i}/BENCH-SL",
            issued_on=issued_on,
            doc_type=doc_type,
            summary=f"V/v báo cáo số {i} của luồng {index} (bench numbering)",
            received_at=timezone.now(),
        )
        t0 = clock()
        try:
            document = register_incoming(clerk, data, []) if full else numbering_path(data)
            outcome = "commit"
            if state["number"] == 0:  # taken by insert_numbered's one statement
                state["number"] = document.register_number
            assert document.register_number == state["number"]
        except BenchRollback:
            outcome = "rollback"
        except OperationalError as exc:  # SQLite: "database is locked" after the timeout
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            outcome = "busy"
        t_end = clock()
        held = state["held"] or t_end
        tx = state["tx"] or t0
        statements = state["statements"] - state["at_held"]
        end = state["end"] or t_end
        return (tx, held, t_end, state["number"], outcome, statements, state["sql"], t_end - end)

    with connection.execute_wrapper(execute_wrapper):
        connection.ensure_connection()
        yield one
    connection.close()


def floor_worker(engine: str, index: int, conf: dict[str, Any]):
    """The bare counter: one UPDATE ... RETURNING in a transaction, no Django."""
    sql = "UPDATE bench_counter SET n = n + 1 WHERE id = 1 RETURNING n"
    if engine == "postgresql":
        import psycopg

        conn = psycopg.connect(conf["url"], autocommit=False)
        cur = conn.cursor()

        def one(_i: int, rollback: bool):
            t0 = clock()
            cur.execute(sql)  # BEGIN goes out with it
            (number,) = cur.fetchone()
            held = clock()
            if rollback:
                conn.rollback()
            else:
                conn.commit()
            end = clock()
            return (t0, held, end, number, "rollback" if rollback else "commit", 1, 0.0, end - held)

        yield one
        conn.close()
        return
    conn = sqlite3.connect(conf["sqlite_path"], timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")

    def one_sqlite(_i: int, rollback: bool):
        t0 = clock()
        number, held = 0, 0.0
        try:
            conn.execute("BEGIN IMMEDIATE")  # waits for the write lock (busy timeout 30 s)
            (number,) = conn.execute(sql).fetchall()[0]
            held = clock()
            conn.execute("ROLLBACK" if rollback else "COMMIT")
            outcome = "rollback" if rollback else "commit"
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcome = "busy"
        t_end = clock()
        return (t0, held or t_end, t_end, number, outcome, 1, 0.0, t_end - (held or t_end))

    yield one_sqlite
    conn.close()


# --- driver (one per engine, Django set up on that engine's database) -------------------------


def counter_value(engine: str, system: str, register_pk: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if system == "floor":
            cursor.execute("SELECT n FROM bench_counter WHERE id = 1")
        else:
            cursor.execute(
                "SELECT last_number FROM documents_register WHERE id = %s", [register_pk]
            )
        return int(cursor.fetchone()[0])


def check_numbers(
    system: str, register_pk: int, base: int, last: int, records: list[tuple]
) -> dict[str, Any]:
    """Committed numbers must be exactly base+1..last: no duplicate, no gap."""
    from django.db import connection

    committed = sorted(r[3] for r in records if r[4] == "commit")
    if system != "floor":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT register_number FROM documents_document "
                "WHERE register_id = %s AND register_number > %s ORDER BY 1",
                [register_pk, base],
            )
            stored = [row[0] for row in cursor.fetchall()]
    else:
        stored = committed  # the floor has no rows: what the workers committed
    expected = set(range(base + 1, last + 1))
    seen = set(stored)
    given_back = [r[3] for r in records if r[4] in ("rollback", "busy") and r[3]]
    return {
        "base": base,
        "last": last,
        "committed": len(stored),
        "duplicates": len(stored) - len(seen),
        "gaps": len(expected - seen),
        "outside_range": len(seen - expected),
        "workers_agree": stored == committed,
        "rolled_back_numbers": len(given_back),
        "rolled_back_numbers_reissued": sum(1 for n in given_back if n in seen),
        "ok": len(stored) == len(seen) and seen == expected and stored == committed,
    }


def run_slice(engine: str, system: str, workers: int, conf: dict[str, Any]) -> dict[str, Any]:
    import multiprocessing as mp

    from django.db import connections

    register_pk = conf["register"]
    base = counter_value(engine, system, register_pk)
    connections.close_all()  # nothing shared with the children
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker_main, args=(engine, system, i, conf, barrier, queue), daemon=True
        )
        for i in range(workers)
    ]
    t_spawn = clock()
    for proc in procs:
        proc.start()
    problems: list[str] = []
    try:
        barrier.wait(timeout=120)
    except Exception as exc:
        problems.append(f"workers not ready: {exc!r}")
    spawn_s = clock() - t_spawn
    deadline = time.monotonic() + conf["warmup"] + conf["duration"] + 90
    results = []
    while len(results) < workers and time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            results.append(queue.get(timeout=max(0.1, deadline - time.monotonic())))
    for proc in procs:
        proc.join(timeout=max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            problems.append(f"worker pid {proc.pid} did not stop; terminated")
            proc.terminate()
            proc.join(5)
    if len(results) < workers:
        problems.append(f"{workers - len(results)} workers sent nothing")
    records = [r for res in results for r in res["records"]]
    errors = [e for res in results for e in res["errors"]]
    last = counter_value(engine, system, register_pk)
    check = check_numbers(system, register_pk, base, last, records)
    begins = [res["t_begin"] for res in results if res["t_begin"]]
    if conf["cap"] is None and begins:
        w_start = max(begins) + conf["warmup"]
        w_end = min(begins) + conf["warmup"] + conf["duration"]
    else:  # smoke: the whole run
        w_start = min((r[0] for r in records), default=0.0)
        w_end = max((r[2] for r in records), default=1.0)
    window = max(1e-6, w_end - w_start)
    inside = [r for r in records if w_start <= r[2] <= w_end]
    outcomes = {k: sum(1 for r in records if r[4] == k) for k in ("commit", "rollback", "busy")}
    outcomes["error"] = sum(1 for r in records if r[4] == "error")
    took = [r for r in inside if r[4] in ("commit", "rollback")]
    return {
        "engine": engine,
        "system": system,
        "workers": workers,
        "window_s": round(window, 3),
        "spawn_s": round(spawn_s, 2),
        "allocations_per_s": round(sum(1 for r in inside if r[4] == "commit") / window, 1),
        "attempts_per_s": round(len(took) / window, 1),
        "committed_in_window": sum(1 for r in inside if r[4] == "commit"),
        "taken_in_window": len(took),
        "wait": ms_summary([r[1] - r[0] for r in took]),
        "hold": ms_summary([r[2] - r[1] for r in took]),
        "transaction": ms_summary([r[2] - r[0] for r in took]),
        "statements_while_held": statistics.fmean([r[5] for r in took]) if took else None,
        # hold = SQL of the statements after the number + Python between them + COMMIT
        "hold_sql": ms_summary([r[6] for r in took]),
        "hold_commit": ms_summary([r[7] for r in took]),
        "outcomes": outcomes,
        "busy_errors": outcomes["busy"],
        "errors": errors[:10],
        "problems": problems,
        "check": check,
        "_wait_s": [round(r[1] - r[0], 6) for r in took],
        "_hold_s": [round(r[2] - r[1], 6) for r in took],
    }


def prepare(engine: str, workers: int) -> dict[str, Any]:
    """The clerks (one per worker), a document type, this year's register, the floor counter."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from documents.models import Register
    from documents.numbering import get_or_create_register
    from eoffice.models import Role, User
    from tests.builders import doc_type, make_department, make_user

    department = make_department("VP", "Văn phòng")
    first = make_user("bench_clerk_000", "clerk", department=department)
    password = make_password("bench-not-used")
    others = User.objects.bulk_create(
        [
            User(
                username=f"bench_clerk_{i:03d}",
                full_name=f"Văn Thư {i:03d}",
                department=department,
                password=password,
            )
            for i in range(1, workers)
        ]
    )
    clerk_role = Role.objects.get(code="clerk")
    for user in others:
        user.roles.add(clerk_role)
    register = get_or_create_register(
        Register.Kind.INCOMING, timezone.localdate().year, confidential=False
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_counter (id integer PRIMARY KEY, n bigint NOT NULL)")
        cursor.execute("INSERT INTO bench_counter (id, n) VALUES (1, 0)")
    return {
        "clerks": [first.pk] + [u.pk for u in others],
        "doc_type": doc_type().pk,
        "register": register.pk,
    }


def whole_register_check(register_pk: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT last_number FROM documents_register WHERE id = %s", [register_pk])
        last = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), count(DISTINCT register_number), min(register_number), "
            "max(register_number) FROM documents_document WHERE register_id = %s",
            [register_pk],
        )
        count, distinct, low, high = cursor.fetchone()
    return {
        "last_number": last,
        "rows": count,
        "duplicates": count - distinct,
        "gaps": last - distinct,
        "min": low,
        "max": high,
        "ok": count == distinct == last and (last == 0 or (low == 1 and high == last)),
    }


def driver(args: argparse.Namespace) -> int:
    """Runs the levels of one engine; DATABASE_URL names its (migrated) database."""
    deadline = time.monotonic() + args.budget
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    # One connection of its own per worker: the driver forks its workers, and a connection
    # pool (eoffice/settings.py's default under ASGI) would hand the forked children the
    # same sockets and the pool's thread.
    os.environ.update(
        {
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_CONN_MAX_AGE": "0",
            "DATABASE_POOL_SIZE": "0",
        }
    )
    import django

    django.setup()
    from django.db import connection

    # Imported by register_incoming on its first call, inside the transaction (~2 s for
    # pyHanko): a long-running server pays it once; the forked workers should not.
    import documents.signing.services  # noqa: F401

    engine = args.driver
    levels = [int(x) for x in args.levels.split(",")]
    t = clock()
    conf: dict[str, Any] = prepare(engine, max(levels))
    conf.update(
        url=os.environ["DATABASE_URL"],
        sqlite_path=str(connection.settings_dict["NAME"]),
        warmup=args.warmup,
        duration=args.duration,
        cap=args.cap,
    )
    out: dict[str, Any] = {
        "engine": engine,
        "setup_s": round(clock() - t, 2),
        "database": {"vendor": connection.vendor, "options": connection.settings_dict["OPTIONS"]},
        "slices": [],
        "skipped": [],
    }
    slice_cost = args.warmup + args.duration + 4  # spawn, drain and check
    seq = 0
    # Round by round over the levels, so that a tight budget still covers every level.
    for rnd in range(args.rounds):
        for li, workers in enumerate(levels):
            order = SYSTEMS if (li + rnd) % 2 == 0 else SYSTEMS[::-1]
            if rnd == 0 and not args.no_full:
                order = (*order, FULL)
            for system in order:
                if deadline - time.monotonic() < slice_cost + workers * 0.05:
                    out["skipped"].append({"workers": workers, "round": rnd, "system": system})
                    continue
                seq += 1
                conf["seed"] = seq
                conf["tag"] = f"{engine[:2]}{seq}"
                conf["system"] = system
                result = run_slice(engine, system, workers, conf)
                result["round"] = rnd
                out["slices"].append(result)
                c = result["check"]
                log(
                    f"{engine} {system:17s} {workers:2d} workers round {rnd}: "
                    f"{result['allocations_per_s']:8.1f}/s committed, wait p95 "
                    f"{result['wait']['p95_ms']} ms, hold p50 {result['hold']['p50_ms']} ms "
                    f"(mean {result['hold']['mean_ms']}: SQL {result['hold_sql']['mean_ms']}, "
                    f"commit {result['hold_commit']['mean_ms']}), "
                    f"busy {result['busy_errors']}, errors {result['outcomes']['error']}, "
                    f"numbers {c['base'] + 1}..{c['last']} dup {c['duplicates']} "
                    f"gaps {c['gaps']}{'' if c['ok'] else ' CHECK FAILED'}"
                )
                for problem in result["problems"] + result["errors"][:2]:
                    log(f"  problem: {problem.strip()}")
    out["register_check"] = whole_register_check(conf["register"])
    out["floor_counter"] = counter_value(engine, "floor", conf["register"])
    Path(args.json).write_text(json.dumps(out))
    return 0


# --- orchestration ---------------------------------------------------------------------------


def run(cmd: list[str], *, timeout: float, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode:
        raise RuntimeError(
            f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )
    return result


def pg_conn_args(url: str) -> tuple[list[str], str]:
    parts = urlsplit(url)
    conn = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        conn += ["-U", parts.username]
    return conn, parts.path.lstrip("/")


def machine_info(url: str | None) -> dict[str, Any]:
    import django
    import psycopg

    from bench.machine import cpu_model, memory_gb

    cpu, mem_gb = cpu_model(), memory_gb()
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "sqlite": sqlite3.sqlite_version,
        "loadavg_start": os.getloadavg(),
    }
    if url:
        parts = urlsplit(url)
        admin = parts._replace(path="/postgres").geturl()
        with contextlib.suppress(Exception), psycopg.connect(admin, connect_timeout=5) as conn:
            info["postgresql"] = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
            info["postgresql_settings"] = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', "
                    "'shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method', "
                    "'commit_delay')"
                ).fetchall()
            )
    return info


def app_sources() -> dict[str, str]:
    import hashlib

    out = {}
    for name in ("documents/numbering.py", "documents/services.py", "documents/permissions.py"):
        path = ROOT / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%H:%M:%SZ")
        out[name] = f"{digest} ({stamp})"
    return out


def run_engine(
    engine: str, url: str, levels: list[int], budget: float, args: argparse.Namespace
) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "eoffice.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # register_incoming pushes nothing; keep the bench to the DB
    t = clock()
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], timeout=300, env=env)
    migrate_s = round(clock() - t, 1)
    log(f"{engine}: migrated in {migrate_s} s")
    settled = settle_postgresql(url, budget=min(90.0, budget / 4)) if engine == "postgresql" else {}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        json_path = tmp.name
    try:
        driver_budget = max(10.0, budget - migrate_s - settled.get("seconds", 0.0))
        cmd = [
            PY,
            str(Path(__file__).resolve()),
            "--driver",
            engine,
            "--levels",
            ",".join(map(str, levels)),
            "--budget",
            str(driver_budget),
            "--json",
            json_path,
            "--rounds",
            str(args.rounds),
            "--duration",
            str(args.duration),
            "--warmup",
            str(args.warmup),
        ]
        if args.cap is not None:
            cmd += ["--cap", str(args.cap)]
        if args.no_full:
            cmd.append("--no-full")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=driver_budget + 120, check=False)
        if proc.returncode:
            raise RuntimeError(f"{engine} driver exited with {proc.returncode}")
        out = json.loads(Path(json_path).read_text())
    finally:
        Path(json_path).unlink(missing_ok=True)
    out["migrate_s"] = migrate_s
    if settled:
        out["settled"] = settled
    return out


def settle_postgresql(url: str, *, budget: float) -> dict[str, Any]:
    """Start the measurement from a quiet server: a CHECKPOINT now (so that none of the
    earlier parts' writes is being flushed during the windows, and the first write of every
    page after it, which PostgreSQL logs whole, happens in the warm-up), then wait, up to
    ``budget`` seconds, for autovacuum workers cleaning up after the earlier parts (the
    million-document database) to finish. Both compete for the disk's flushes that every
    COMMIT waits on: in a `make bench` run after the lists, the product's COMMIT took 2.9-3.7
    ms at 32 workers; alone, 1.8 ms. What was waited for is recorded with the results."""
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    started = clock()
    with psycopg.connect(admin, connect_timeout=5, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        checkpoint_s = clock() - started
        query = (
            "SELECT count(*), string_agg(DISTINCT datname, ', ') FROM pg_stat_activity "
            "WHERE backend_type = 'autovacuum worker'"
        )
        workers, databases = conn.execute(query).fetchone()
        first = {"autovacuum_workers": workers, "autovacuum_databases": databases or ""}
        while workers and clock() - started < budget:
            time.sleep(1.0)
            workers, _databases = conn.execute(query).fetchone()
    settled = {
        "checkpoint_s": round(checkpoint_s, 2),
        "at_start": first,
        "autovacuum_workers_left": workers,
        "seconds": round(clock() - started, 1),
    }
    log(
        f"postgresql: checkpoint {settled['checkpoint_s']} s; autovacuum workers at start "
        f"{first['autovacuum_workers']} ({first['autovacuum_databases'] or '-'}), left "
        f"{workers} after {settled['seconds']} s"
    )
    return settled


def aggregate(slices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (workers, system): rounds pooled."""
    rows = []
    rank = {"product": 0, FULL: 1, "floor": 2}
    keys = sorted({(s["workers"], s["system"]) for s in slices}, key=lambda k: (k[0], rank[k[1]]))
    for workers, system in keys:
        group = [s for s in slices if s["workers"] == workers and s["system"] == system]
        window = sum(s["window_s"] for s in group)
        committed = sum(s["committed_in_window"] for s in group)
        taken = sum(s["taken_in_window"] for s in group)
        waits = [w for s in group for w in s["_wait_s"]]
        holds = [h for s in group for h in s["_hold_s"]]
        statements = [s["statements_while_held"] for s in group if s["statements_while_held"]]

        def pooled_mean(key: str, group=group) -> float | None:
            n = sum(s[key]["n"] for s in group)
            total = sum(s[key]["mean_ms"] * s[key]["n"] for s in group if s[key]["n"])
            return round(total / n, 2) if n else None

        rows.append(
            {
                "workers": workers,
                "system": system,
                "rounds": len(group),
                "round_rates": [s["allocations_per_s"] for s in group],
                "allocations_per_s": round(committed / window, 1) if window else None,
                "attempts_per_s": round(taken / window, 1) if window else None,
                "wait": ms_summary(waits),
                "hold": ms_summary(holds),
                "hold_sql_mean_ms": pooled_mean("hold_sql"),
                "hold_commit_mean_ms": pooled_mean("hold_commit"),
                "statements_while_held": round(statistics.fmean(statements), 1)
                if statements
                else None,
                "committed": sum(s["check"]["committed"] for s in group),
                "rolled_back": sum(s["outcomes"]["rollback"] for s in group),
                "busy_errors": sum(s["busy_errors"] for s in group),
                "errors": sum(s["outcomes"]["error"] for s in group),
                "duplicates": sum(s["check"]["duplicates"] for s in group),
                "gaps": sum(s["check"]["gaps"] for s in group),
                "reissued": sum(s["check"]["rolled_back_numbers_reissued"] for s in group),
                "given_back": sum(s["check"]["rolled_back_numbers"] for s in group),
                "checks_ok": all(s["check"]["ok"] for s in group),
            }
        )
    for row in rows:
        if row["system"] != "floor":
            floor = next(
                (r for r in rows if r["workers"] == row["workers"] and r["system"] == "floor"),
                None,
            )
            if floor and floor["allocations_per_s"]:
                row["ratio_to_floor"] = round(
                    row["allocations_per_s"] / floor["allocations_per_s"], 3
                )
    return rows


def targets(payload: dict[str, Any]) -> list[dict[str, Any]]:
    pg = payload["engines"].get("postgresql")
    out = []
    if pg:
        row = next(
            (r for r in pg["table"] if r["workers"] == TARGET_WORKERS and r["system"] == "product"),
            None,
        )
        rate = row["allocations_per_s"] if row else None
        out.append(
            {
                "target": f"≥ {TARGET_RATE:.0f} allocations/s at {TARGET_WORKERS} workers "
                "on PostgreSQL",
                "measured": f"{rate:,.1f}/s" if rate is not None else "not measured",
                "holds": rate is not None and rate >= TARGET_RATE,
            }
        )
    for name, data in payload["engines"].items():
        product = [r for r in data["table"] if r["system"] != "floor"]
        dups = sum(r["duplicates"] for r in product) + data["register_check"]["duplicates"]
        gaps = sum(r["gaps"] for r in product) + data["register_check"]["gaps"]
        label = "PostgreSQL" if name == "postgresql" else "SQLite"
        out.append(
            {
                "target": f"zero duplicates, zero gaps ({label}, product)",
                "measured": f"{dups} duplicates, {gaps} gaps in "
                f"{data['register_check']['last_number']:,} numbers",
                "holds": dups == 0 and gaps == 0 and data["register_check"]["ok"],
            }
        )
        if name == "sqlite":
            busy = sum(r["busy_errors"] for r in data["table"])
            out.append(
                {
                    "target": "SQLite: no busy error loses a number",
                    "measured": f"{busy} busy errors; numbers exactly 1..N: "
                    f"{'yes' if data['register_check']['ok'] else 'no'}",
                    "holds": data["register_check"]["ok"]
                    and all(r["checks_ok"] for r in data["table"]),
                }
            )
    return out


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def markdown(payload: dict[str, Any]) -> str:
    m = payload["machine"]
    lines = [
        f"### Run of {payload['date']} (`bench/results/{payload['date']}-numbering.json`)",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Linux "
        f"{m['kernel']}; load average {', '.join(f'{x:.2f}' for x in m['loadavg_start'])} "
        f"at the start, {', '.join(f'{x:.2f}' for x in m['loadavg_end'])} at the end "
        "(a shared machine).",
        f"- Python {m['python']}, Django {m['django']}, psycopg {m['psycopg']}, "
        f"{m.get('postgresql', 'PostgreSQL: not reached')} "
        + (
            "(" + ", ".join(f"{k} {v}" for k, v in m.get("postgresql_settings", {}).items()) + ")"
            if m.get("postgresql_settings")
            else ""
        )
        + f", SQLite {m['sqlite']}.",
        f"- Command: `{payload['command']}`; {payload['seconds']:.0f} s in all; per level and "
        f"system {payload['params']['rounds']} slices of {payload['params']['warmup']} s "
        f"warm-up + {payload['params']['duration']} s measured, product and floor "
        f"alternating; {ROLLBACK_SHARE:.0%} of transactions rolled back after the number was "
        "taken.",
        "- Code measured: " + ", ".join(f"`{k}` {v}" for k, v in payload["app_sources"].items()),
        "",
    ]
    titles = {
        "postgresql": "PostgreSQL (127.0.0.1, its own database `eoffice_bench_numbering`)",
        "sqlite": "SQLite, the embedded default (a file in a temporary directory, WAL, "
        "IMMEDIATE transactions)",
    }
    floor_what = {
        "postgresql": "bare psycopg `UPDATE … RETURNING n`",
        "sqlite": "bare sqlite3 `BEGIN IMMEDIATE; UPDATE … RETURNING n`",
    }
    for name, data in payload["engines"].items():
        lines += [
            f"#### {titles[name]}",
            "",
            f"Migrate {data['migrate_s']} s, setup {data['setup_s']} s.{settled_text(data)} "
            "product = "
            "the document built whole, then `insert_numbered` (the number, the document's "
            "INSERT) in one transaction, as `register_incoming` does; register_incoming = "
            "the whole service (first round only); floor = " + floor_what[name] + ".",
            "",
            "| workers | system | allocations/s (per slice) | product / floor | "
            "wait p50 / p95 / max ms | hold p50 / p95 ms | SQL while held | committed | "
            "rolled back (re-issued) | busy errors | errors | duplicates | gaps |",
            "|---:|---|---|---:|---|---|---:|---:|---|---:|---:|---:|---:|",
        ]
        for r in data["table"]:
            w, h = r["wait"], r["hold"]
            per_slice = ", ".join(fmt(x) for x in r["round_rates"])
            lines.append(
                f"| {r['workers']} | {r['system']} | **{fmt(r['allocations_per_s'])}** "
                f"({per_slice}) | {r.get('ratio_to_floor', '') or ''} | "
                f"{fmt(w['p50_ms'], 2)} / {fmt(w['p95_ms'], 2)} / {fmt(w['max_ms'], 2)} | "
                f"{fmt(h['p50_ms'], 2)} / {fmt(h['p95_ms'], 2)} | "
                f"{fmt(r['statements_while_held'])} | {r['committed']:,} | "
                f"{r['rolled_back']} ({r['reissued']}) | {r['busy_errors']} | {r['errors']} | "
                f"{r['duplicates']} | {r['gaps']} |"
            )
        rc = data["register_check"]
        lines += [
            "",
            f"Whole register at the end: numbers 1..{rc['last_number']:,}, {rc['rows']:,} "
            f"document rows, {rc['duplicates']} duplicates, {rc['gaps']} gaps "
            f"({'exact' if rc['ok'] else 'NOT EXACT'}).",
        ]
        if data.get("skipped"):
            lines.append(
                "Skipped for time: "
                + ", ".join(
                    f"{s['system']} {s['workers']} (round {s['round']})" for s in data["skipped"]
                )
                + "."
            )
        problems = [p for s in data["slices"] for p in s["problems"] + s["errors"]]
        if problems:
            lines.append("Problems: " + "; ".join(p.strip().splitlines()[-1] for p in problems[:5]))
        lines.append("")
    lines += ["#### Targets (issue 5)", "", "| target | measured | holds |", "|---|---|---|"]
    for t in payload["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['holds'] else '**no**'} |")
    lines += [
        "",
        "Allocations/s = numbers committed in the measured window, divided by its length "
        "(rolled-back transactions are not counted, though they held the lock). Wait = "
        "start of the transaction to holding the number (the row lock on PostgreSQL, the "
        "database write lock taken by `BEGIN IMMEDIATE` on SQLite); hold = holding the "
        "number to the end of COMMIT/ROLLBACK; SQL while held = statements executed after "
        "the counter UPDATE, before COMMIT. Checks cover every transaction of every slice, "
        "warm-up included.",
    ]
    return "\n".join(lines)


SECTION_HEAD = """## Numbering

Issue 5, part 4: gap-free register numbers under contention. Written by
`bench/numbering.py` (`make bench-numbering`); the block between the
`numbering:generated` markers is rewritten by every run, the text around it by hand.

"""


def settled_text(data: dict[str, Any]) -> str:
    settled = data.get("settled")
    if not settled:
        return ""
    start = settled["at_start"]
    where = f" ({start['autovacuum_databases']})" if start["autovacuum_databases"] else ""
    return (
        f" Before measuring: CHECKPOINT {settled['checkpoint_s']} s; "
        f"{start['autovacuum_workers']} autovacuum worker(s) running{where}, "
        f"{settled['autovacuum_workers_left']} left after {settled['seconds']} s."
    )


def update_performance_doc(path: Path, generated: str) -> None:
    block = f"{BEGIN}\n{generated.rstrip()}\n{END}\n"
    text = path.read_text() if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _old, tail = rest.split(END, 1)
        path.write_text(head + block.rstrip("\n") + tail)
        return
    path.write_text(text.rstrip("\n") + "\n\n" + SECTION_HEAD + block)


def orchestrate(args: argparse.Namespace) -> int:
    started = clock()
    t_end = time.monotonic() + args.budget
    engines = [e for e in args.engines.split(",") if e]
    url = args.url
    payload: dict[str, Any] = {
        "part": "numbering",
        "date": datetime.now(UTC).date().isoformat(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/numbering.py", *sys.argv[1:]]),
        "params": {
            "pg_levels": args.pg_levels,
            "sqlite_levels": args.sqlite_levels,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "duration": args.duration,
            "cap": args.cap,
            "rollback_share": ROLLBACK_SHARE,
            "budget": args.budget,
        },
        "machine": machine_info(url if "postgresql" in engines else None),
        "app_sources": app_sources(),
        "engines": {},
    }
    failures = []
    # Budget split by the work each engine has (slices of 2 systems x rounds per level).
    weights = {
        "postgresql": len(args.pg_levels.split(",")) + 2.5,  # slower spawns, createdb
        "sqlite": len(args.sqlite_levels.split(",")) + 1.5,
    }
    for i, engine in enumerate(engines):
        left = t_end - time.monotonic()
        share = left * weights[engine] / sum(weights[e] for e in engines[i:])
        try:
            if engine == "postgresql":
                conn, name = pg_conn_args(url)
                run(["dropdb", *conn, "--if-exists", "--force", name], timeout=60)
                run(["createdb", *conn, name], timeout=60)
                try:
                    data = run_engine(
                        engine, url, [int(x) for x in args.pg_levels.split(",")], share, args
                    )
                finally:
                    run(["dropdb", *conn, "--if-exists", "--force", name], timeout=120, check=False)
            else:
                tmp = Path(tempfile.mkdtemp(prefix="eoffice-bench-numbering-"))
                try:
                    data = run_engine(
                        engine,
                        f"sqlite:///{tmp / 'eoffice.sqlite3'}",
                        [int(x) for x in args.sqlite_levels.split(",")],
                        share,
                        args,
                    )
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
        except Exception as exc:
            log(f"{engine} failed: {exc}")
            failures.append(f"{engine}: {exc}")
            continue
        data["table"] = aggregate(data["slices"])
        for piece in data["slices"]:  # the samples are pooled in the table
            piece.pop("_wait_s", None)
            piece.pop("_hold_s", None)
        payload["engines"][engine] = data
    payload["machine"]["loadavg_end"] = os.getloadavg()
    payload["seconds"] = round(clock() - started, 1)
    payload["failures"] = failures
    payload["targets"] = targets(payload)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-smoke" if args.smoke else ""
    result_path = out_dir / f"{payload['date']}-numbering{suffix}.json"
    result_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    text = markdown(payload)
    log(f"wrote {result_path}\n{text}")
    if not args.no_docs:
        update_performance_doc(PERFORMANCE_MD, text)
        log(f"updated {PERFORMANCE_MD}")
    checks_ok = all(
        r["checks_ok"] and data["register_check"]["ok"]
        for data in payload["engines"].values()
        for r in data["table"]
    )
    if failures or not checks_ok:
        log("FAILED: " + ("; ".join(failures) if failures else "a numbering check failed"))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_NUMBERING_URL", DEFAULT_URL))
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--pg-levels", default="2,8,32,64")
    parser.add_argument("--sqlite-levels", default="2,4,8")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--cap", type=int, default=None, help="allocations per worker (smoke)")
    parser.add_argument("--budget", type=float, default=290.0)
    parser.add_argument("--out", default=str(RESULTS_DIR))
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--no-full", action="store_true", help="skip register_incoming slices")
    parser.add_argument("--smoke", action="store_true", help="2 workers x 5 allocations")
    # internal: one engine's driver
    parser.add_argument("--driver", choices=("postgresql", "sqlite"))
    parser.add_argument("--levels")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.driver:
        return driver(args)
    if args.smoke:
        args.pg_levels = args.sqlite_levels = "2"
        args.rounds, args.warmup, args.duration = 1, 0.0, 30.0
        args.cap = args.cap or 5
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
