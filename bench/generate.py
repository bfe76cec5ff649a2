"""Build the scale database for the list and search benchmarks (issue 5, parts 2 and 3).

    .venv/bin/python bench/generate.py [--documents 1000000] [--budget 720] [--reset]

Creates ``eoffice_bench`` on 127.0.0.1 (createdb, then ``manage.py migrate``) and fills it
with PostgreSQL COPY, never the ORM: one provincial People's Committee with 200 units (each
with its auth Group), 10,000 people, and incoming documents over ten years with registers,
gap-free arrival numbers, and the routes the application itself would have written (who
was submitted what, directions, lead/coordinate/inform assignments, work passed on,
personal and department grants, history entries, notices, extension requests).

Idempotent and resumable: progress is kept in the ``bench_generation`` table. A run that
finds the data complete does nothing; an interrupted run continues with the next year.
Each year is one transaction. The secondary indexes of the big tables are dropped before
the load and rebuilt after it (their definitions are kept in the marker table). The load
stops itself after ``--budget`` seconds (at a year boundary) and then says how many
documents it made; nothing is extrapolated.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import psycopg.sql
import psycopg.types.json

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import vocab  # noqa: E402

from documents.text import fold, nfc, number_symbol_key  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/eoffice_bench"
# Moments are naive wall-clock times of the agency, written with its offset: Asia/Ho_Chi_Minh
# has had no daylight saving since 1975 (naive datetimes format three times faster).
LOCAL = timezone(timedelta(hours=7))
OFFSET = "+07"
PASSWORD = "bench-2026"  # noqa: S105 - throwaway benchmark accounts on 127.0.0.1

# Tables whose secondary indexes are dropped during the load and rebuilt afterwards.
BIG_TABLES = [
    "documents_document",
    "documents_documentuserobjectpermission",
    "documents_documentgroupobjectpermission",
    "routing_direction",
    "routing_assignment",
    "routing_deadlineextension",
    "documents_documentevent",
    "realtime_notice",
]

COLUMNS = {
    "documents_document": (
        "id, direction, register_number, received_at, registered_at, sender_name, "
        "number_symbol, number_symbol_key, issued_on, summary, signer_name, urgency, secrecy, "
        "page_count, deadline, receipt_method, notes, state, version, completed_at, "
        "result_summary, reply_number_symbol, cancel_reason, search_text, updated_at, "
        "registered_by_id, doc_type_id, register_id, sender_key"
    ),
    # register_order: what the database's triggers would write (migration 0015), written
    # here because the load runs with triggers off (session_replication_role = replica).
    "documents_documentuserobjectpermission": (
        "content_object_id, permission_id, user_id, register_order"
    ),
    "documents_documentgroupobjectpermission": (
        "content_object_id, group_id, permission_id, register_order"
    ),
    "routing_direction": "id, text, deadline, created_at, document_id, leader_id",
    "routing_assignment": (
        "id, role, state, deadline, original_deadline, note, assigned_at, completed_at, "
        "result, assigned_by_id, assignee_department_id, assignee_user_id, completed_by_id, "
        "document_id, parent_id, direction_id"
    ),
    "routing_deadlineextension": (
        "requested_at, previous_deadline, requested_deadline, reason, state, decided_at, "
        "decision_note, assignment_id, decided_by_id, requested_by_id"
    ),
    "documents_documentevent": (
        "action, from_state, to_state, note, data, created_at, actor_id, document_id"
    ),
    "realtime_notice": (
        "seq, kind, data, created_at, read_at, emailed_at, actor_id, document_id, recipient_id"
    ),
}
N = "\\N"  # NULL in COPY text format


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


def check_url(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"the benchmark database must be on 127.0.0.1, not {host!r}")


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl()


def ensure_database(url: str, *, reset: bool = False) -> None:
    """createdb (dropdb first with --reset), then ``manage.py migrate``."""
    check_url(url)
    name = db_name(url)
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    host_args = ["-h", "127.0.0.1", "-p", str(urlsplit(url).port or 5432), "-U", "postgres"]
    if exists and reset:
        log(f"dropping database {name}")
        subprocess.run(["dropdb", *host_args, "--force", name], check=True)
        exists = None
    if not exists:
        log(f"creating database {name}")
        subprocess.run(["createdb", *host_args, name], check=True)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        check=True,
        env=env,
        cwd=ROOT,
    )


def default_new_columns(conn: psycopg.Connection) -> list[str]:
    """Give NOT NULL columns without a database default their model's default.

    The loader names the columns it writes; columns added to the models since (other
    work in progress) would make its COPY and INSERTs fail. Only plain fields with a
    Python default (or a blank text field) get one; the load itself is unchanged.
    """
    from django.apps import apps
    from django.db import models as dj

    missing = {
        (table, column)
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_nullable = 'NO' AND column_default IS NULL "
            "AND is_generated = 'NEVER' AND identity_generation IS NULL"
        )
    }
    changed = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            key = (model._meta.db_table, model_field.column)
            if key not in missing or model_field.primary_key or model_field.is_relation:
                continue
            if model_field.has_default():
                value = model_field.get_default()
            elif isinstance(model_field, (dj.CharField, dj.TextField)):
                value = ""
            else:
                continue
            if isinstance(model_field, dj.JSONField):
                value = psycopg.types.json.Jsonb(value)
            conn.execute(
                psycopg.sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                    psycopg.sql.Identifier(key[0]),
                    psycopg.sql.Identifier(key[1]),
                    psycopg.sql.Literal(value),
                )
            )
            changed.append(f"{key[0]}.{key[1]}")
    conn.commit()
    return changed


def read_markers(conn: psycopg.Connection) -> dict[str, object]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_generation "
        "(key text PRIMARY KEY, value jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())"
    )
    conn.commit()
    return dict(conn.execute("SELECT key, value FROM bench_generation").fetchall())


def set_marker(conn: psycopg.Connection, key: str, value: object) -> None:
    conn.execute(
        "INSERT INTO bench_generation (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, at = now()",
        [key, json.dumps(value, ensure_ascii=False)],
    )


def generation_status(url: str = DEFAULT_URL) -> dict[str, object] | None:
    """The 'complete' marker of an existing bench database, or None."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT value FROM bench_generation WHERE key = 'complete'"
            ).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


# --- helpers ----------------------------------------------------------------------------------


def ts(moment: datetime) -> str:
    return moment.isoformat(" ") + OFFSET


def wall(year: int, month: int = 1, day: int = 1, hour: int = 0) -> datetime:
    """A naive local wall-clock moment."""
    return datetime.fromisoformat(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00")


class Weighted:
    """Fast weighted choice over a fixed population."""

    def __init__(self, items: list, weights: list[float], rng: random.Random) -> None:
        self.items = items
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]
        self.rng = rng

    def __call__(self):
        return self.items[bisect.bisect(self.cum, self.rng.random() * self.total)]


def working_moment(moment: datetime, hours: float, rng: random.Random) -> datetime:
    """``hours`` later, moved into office hours (7:00-17:00) on a weekday."""
    result = moment + timedelta(seconds=int(hours * 3600))
    if result.hour < 7 or result.hour >= 17:
        if result.hour >= 17:
            result += timedelta(days=1)
        result = result.replace(hour=7 + rng.randint(0, 2), minute=rng.randint(0, 59))
    while result.weekday() >= 5:
        result += timedelta(days=1)
    return result


def add_working_days(day: date, days: int) -> date:
    """``days`` weekdays after ``day`` (a weekday); holidays are not modelled."""
    weeks, rest = divmod(days, 5)
    extra = rest + 2 if day.weekday() + rest >= 5 else rest
    return day + timedelta(days=7 * weeks + extra)


# --- the directory ----------------------------------------------------------------------------


@dataclass
class Person:
    id: int
    username: str
    full_name: str
    position: str
    department: int | None
    roles: tuple[str, ...]
    title: str = ""


@dataclass
class Unit:
    id: int
    code: str
    name: str
    parent: int | None
    members: list[int] = field(default_factory=list)
    specialists: list[int] = field(default_factory=list)
    head: int = 0
    weight: float = 0.0


@dataclass
class Directory:
    units: list[Unit]
    people: list[Person]
    clerks: list[int]
    leaders: list[int]
    leader_weights: list[float]
    chief_of_office: int
    position_ids: dict[str, int]
    never_read: set[int]

    def unit(self, unit_id: int) -> Unit:
        return self.units[unit_id - 1]


def build_directory(users: int, departments: int, seed: int) -> Directory:
    """The same organisation for the same seed, so a resumed run rebuilds it identically."""
    rng = random.Random(seed)
    position_ids = {name: i for i, (name, _rank) in enumerate(vocab.POSITIONS, start=1)}
    units: list[Unit] = []

    def add(code: str, name: str, parent: int | None) -> Unit:
        unit = Unit(len(units) + 1, code, name, parent)
        units.append(unit)
        return unit

    office = add(*vocab.OFFICE_UNITS[0], None)
    for code, name in vocab.OFFICE_UNITS[1:]:
        add(code, name, office.id)
    roots = [add(code, name, None) for code, name, _kind in vocab.UNITS]
    remaining = departments - len(units)
    per_root = [
        remaining // len(roots) + (1 if i < remaining % len(roots) else 0)
        for i in range(len(roots))
    ]
    for root, count in zip(roots, per_root, strict=True):
        for sub_code, sub_name in (vocab.SUB_UNITS * 2)[:count]:
            code = f"{root.code}{sub_code}"
            while any(u.code == code for u in units):
                code += "2"
            add(code, f"{sub_name} - {root.name}", root.id)
    units = units[:departments]

    # How much incoming work each unit leads: Zipf (s = 1.2) over a shuffled order.
    order = list(range(len(units)))
    rng.shuffle(order)
    for rank, index in enumerate(order, start=1):
        units[index].weight = 1.0 / rank**1.2
    office.weight = max(office.weight, units[order[3]].weight)

    names_used: set[str] = set()
    family = Weighted([f for f, _w in vocab.FAMILY], [w for _f, w in vocab.FAMILY], rng)

    def person_name() -> str:
        while True:
            name = f"{family()} {rng.choice(vocab.MIDDLE)} {rng.choice(vocab.GIVEN)}"
            if name not in names_used or len(names_used) > 20000:
                names_used.add(name)
                return name

    people: list[Person] = []

    def person(prefix: str, position: str, unit: Unit | None, *roles: str) -> Person:
        pid = len(people) + 1
        p = Person(pid, f"{prefix}{pid}", person_name(), position, unit.id if unit else None, roles)
        p.title = f"{p.full_name} — {position}"
        people.append(p)
        if unit:
            unit.members.append(pid)
            if roles == ("specialist",):
                unit.specialists.append(pid)
        return p

    person("admin", "Quản trị hệ thống", office, "administrator")
    leaders = [person("chutich", "Chủ tịch", None, "leader").id]
    leaders += [person("pct", "Phó Chủ tịch", None, "leader").id for _ in range(4)]
    chief = person("chanhvp", "Chánh Văn phòng", office, "leader", "department_head")
    office.head = chief.id
    leaders.append(chief.id)
    clerks = [person("vanthu", "Văn thư", office, "clerk").id for _ in range(12)]

    # Unit sizes grow with their workload, at least 6 people each.
    budget = users - len(people)
    raw = [u.weight**0.45 for u in units]
    scale = budget / sum(raw)
    sizes = [max(6, round(r * scale)) for r in raw]
    while sum(sizes) > budget:
        i = max(range(len(sizes)), key=sizes.__getitem__)
        sizes[i] -= 1
    while sum(sizes) < budget:
        sizes[rng.randrange(len(sizes))] += 1
    sizes[0] -= len(office.members) - 1  # the office already holds admin, chief and clerks
    sizes[0] = max(sizes[0], 4)
    for unit, size in zip(units, sizes, strict=True):
        root_kind = next((k for c, _n, k in vocab.UNITS if c == unit.code), None)
        if unit.parent is None and root_kind == "so":
            head_pos, deputy_pos = "Giám đốc", "Phó Giám đốc"
        elif unit.parent is None and root_kind == "ban":
            head_pos, deputy_pos = "Trưởng ban", "Phó Trưởng ban"
        elif unit is office:
            head_pos, deputy_pos = "", "Phó Chánh Văn phòng"
        else:
            head_pos, deputy_pos = "Trưởng phòng", "Phó Trưởng phòng"
        count = size
        if unit is not office:
            unit.head = person("tp", head_pos, unit, "department_head").id
            count -= 1
        deputies = 1 if count < 15 else 2
        for _ in range(deputies):
            person("pp", deputy_pos, unit, "specialist")
        for _ in range(max(0, count - deputies)):
            person("cv", "Chuyên viên", unit, "specialist")
    # Fill or trim to exactly ``users`` people.
    while len(people) < users:
        unit = units[rng.randrange(len(units))]
        person("cv", "Chuyên viên", unit, "specialist")
    del people[users:]
    for unit in units:
        unit.members = [m for m in unit.members if m <= users]
        unit.specialists = [m for m in unit.specialists if m <= users] or [unit.head]
    leader_weights = [30, 16, 16, 14, 14, 10]
    ordinary = [p.id for p in people if p.roles == ("specialist",)]
    never_read = set(rng.sample(ordinary, k=len(ordinary) // 50))
    return Directory(
        units, people, clerks, leaders, leader_weights, chief.id, position_ids, never_read
    )


def copy_rows(cur: psycopg.Cursor, table: str, columns: str, rows: list[str]) -> None:
    if not rows:
        return
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write("\n".join(rows) + "\n")


def insert_directory(
    conn: psycopg.Connection, d: Directory, now: datetime, years: list[int]
) -> None:
    from django.contrib.auth.hashers import make_password

    password = make_password(PASSWORD)
    joined = ts(now.replace(year=now.year - 11))
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO eoffice_agency (id, name, short_code, identifier_code, address, place_name) "
        "VALUES (1, 'Ủy ban nhân dân tỉnh Sơn Hà', 'UBND', '000.00.00.H99', "
        "'Số 1 đường Trần Hưng Đạo, thành phố Sơn Hà', 'Sơn Hà')"
    )
    copy_rows(
        cur,
        "eoffice_position",
        "id, name, rank",
        [f"{i}\t{name}\t{rank}" for i, (name, rank) in enumerate(vocab.POSITIONS, start=1)],
    )
    copy_rows(cur, "auth_group", "id, name", [f"{u.id}\tdepartment:1:{u.code}" for u in d.units])
    copy_rows(
        cur,
        "eoffice_department",
        "id, name, short_code, is_active, sort_order, agency_id, group_id, parent_id",
        [f"{u.id}\t{u.name}\t{u.code}\tt\t{u.id}\t1\t{u.id}\t{u.parent or N}" for u in d.units],
    )
    copy_rows(
        cur,
        "eoffice_user",
        "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, full_name, department_id, position_id, email_notices",
        [
            f"{p.id}\t{password}\t{'t' if 'administrator' in p.roles else 'f'}\t{p.username}\t\t\t"
            f"{p.username}@sonha.example.gov.vn\t{'t' if 'administrator' in p.roles else 'f'}\tt\t"
            f"{joined}\t{p.full_name}\t{p.department or N}\t{d.position_ids[p.position]}\tf"
            for p in d.people
        ],
    )
    role_ids = dict(cur.execute("SELECT code, id FROM eoffice_role").fetchall())
    copy_rows(
        cur,
        "eoffice_user_roles",
        "user_id, role_id",
        [f"{p.id}\t{role_ids[r]}" for p in d.people for r in p.roles],
    )
    rows = []
    for i, year in enumerate(years):
        created = ts(wall(year, hour=7))
        rows.append(f"{2 * i + 1}\tincoming\t{year}\tf\tSổ văn bản đến năm {year}\t0\tf\t{created}")
        rows.append(
            f"{2 * i + 2}\tincoming\t{year}\tt\tSổ văn bản đến mật năm {year}\t0\tf\t{created}"
        )
    copy_rows(
        cur,
        "documents_register",
        "id, kind, year, is_confidential, name, last_number, is_locked, created_at",
        rows,
    )
    for table in ("eoffice_position", "auth_group", "eoffice_department", "eoffice_user"):
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constant
            f"(SELECT max(id) FROM {table}))"
        )


# --- senders and summaries -------------------------------------------------------------------


@dataclass
class Sender:
    name: str
    unit: str  # symbol of the sending body, e.g. "STC" or "UBND"
    subs: tuple[str, ...]  # office codes used in công văn symbols, e.g. ("QLNS", "VP")
    key: str = ""


def build_senders(rng: random.Random) -> tuple[list[Sender], list[float]]:
    senders: list[Sender] = []
    weights: list[float] = []

    def add(name: str, unit: str, subs: tuple[str, ...], weight: float) -> None:
        senders.append(Sender(nfc(name), unit, subs, fold(name)))
        weights.append(weight)

    subs_by_root = {
        "STC": ("QLNS", "TCĐT", "QLG", "VP"),
        "SNV": ("TCBC", "CCVC", "VP"),
        "SKHĐT": ("TH", "ĐKKD", "KTĐN"),
        "STNMT": ("ĐĐ", "MT", "KS"),
    }
    for code, name, _kind in vocab.UNITS:
        add(name, code, subs_by_root.get(code, ("VP", "NV", "KHTC")), 40)
    for name, unit in vocab.MINISTRIES:
        add(name, unit, ("VP", "KHTC", "PC", "TCCB"), 15)
    for name, symbol in vocab.OTHER_SENDERS:
        unit, sub = symbol.split("-", 1)
        add(name, unit, (sub,), 10)
    for district in vocab.DISTRICTS:
        add(f"UBND huyện {district}", "UBND", ("VP", "TNMT", "TCKH", "KT"), 25)
    for district in vocab.DISTRICTS:
        for commune in vocab.COMMUNES:
            add(f"UBND xã {commune}, huyện {district}", "UBND", ("VP",), 0.5)
    for province in vocab.PROVINCES:
        add(f"UBND tỉnh {province}", "UBND", ("VP", "KTN", "KGVX"), 2)
        for code, name, _kind in vocab.UNITS[:5]:
            add(f"{name} tỉnh {province}", code, ("VP",), 0.2)
    kinds = ["Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân"]
    trades = ["Xây dựng", "Thương mại", "Vận tải", "Nông nghiệp", "Môi trường", "Dược phẩm"]
    for _ in range(800):
        place = rng.choice(vocab.COMMUNES + vocab.DISTRICTS)
        add(f"{rng.choice(kinds)} {rng.choice(trades)} {place}", "CV", ("",), 0.1)
    # The rare sender of the search benchmark (a few documents over ten years).
    add("Hợp tác xã Chè Shan tuyết Pà Vầy Sủ", "HTX", ("",), 0.02)
    return senders, weights


RARE_SENDER = "Hợp tác xã Chè Shan tuyết Pà Vầy Sủ"

TYPE_WEIGHTS = {
    "CV": 50,
    "GM": 9,
    "TB": 8,
    "QD": 8,
    "KH": 6,
    "BC": 6,
    "HD": 3,
    "TTR": 2,
    "CT": 1,
    "CD": 1,
    "NQ": 1,
    "CTR": 1,
    "PA": 1,
    "QC": 0.5,
    "BB": 0.5,
}


# --- the year loader --------------------------------------------------------------------------


class Writer(threading.Thread):
    """Streams chunks into PostgreSQL while the main thread builds the next one."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")  # no FK triggers
        self.conn.execute("SET synchronous_commit = off")
        self.conn.commit()
        self.copy_seconds = 0.0

    def run(self) -> None:
        cur = self.conn.cursor()
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                kind, payload = item
                if self.error is not None:
                    continue
                if kind == "chunk":
                    started = time.perf_counter()
                    for table, rows in payload.items():
                        copy_rows(cur, table, COLUMNS[table], rows)
                    self.copy_seconds += time.perf_counter() - started
                elif kind == "commit":
                    statements, done = payload
                    for sql, params in statements:
                        cur.execute(sql, params)
                    self.conn.commit()
                    done.set()
            except BaseException as exc:
                self.error = exc
                if kind == "commit":
                    payload[1].set()
            finally:
                self.queue.task_done()

    def put(self, item) -> None:
        if self.error is not None:
            raise RuntimeError("writer failed") from self.error
        self.queue.put(item)


class YearBuilder:
    """Documents of one year and everything the route through the application wrote.

    Hot path (a million documents): timestamps are rendered once per moment, JSON payloads
    are written as literals (they hold only fixed keys, dates and names without quotes).
    """

    CHUNK = 10_000

    def __init__(self, g: Generator, year: int, count: int) -> None:
        self.g = g
        self.year = year
        self.count = count
        self.rng = random.Random(g.seed * 1000 + year)
        self.rows: dict[str, list[str]] = defaultdict(list)
        self.notices = self.rows["realtime_notice"]
        self.events = self.rows["documents_documentevent"]
        self.user_grants = self.rows["documents_documentuserobjectpermission"]
        self.received_s = N  # arrival of the document being built
        self.checked = 0

    def notice(
        self,
        recipient: int,
        kind: str,
        at: datetime,
        at_s: str,
        actor: int,
        doc: str,
        data: str = "{}",
    ) -> None:
        """One notice, with the recipient's next sequence number."""
        if recipient == actor:
            return
        g = self.g
        seq = g.notice_seq[recipient] = g.notice_seq[recipient] + 1
        r = self.rng.random()
        if recipient in g.never_read or r < 0.01 or (r < 0.5 and (g.now - at).days < 14):
            read = N
        else:
            read_at = at + timedelta(seconds=int(180 + r * 108000))
            read = ts(read_at) if read_at < g.now else N
        self.notices.append(
            f"{seq}\t{kind}\t{data}\t{at_s}\t{read}\t{N}\t{actor}\t{doc}\t{recipient}"
        )

    def event(
        self,
        doc: str,
        actor: int,
        action: str,
        at_s: str,
        note: str = "",
        src: str = "",
        dst: str = "",
        data: str = "{}",
    ) -> None:
        self.events.append(f"{action}\t{src}\t{dst}\t{note}\t{data}\t{at_s}\t{actor}\t{doc}")

    def grant_user(self, doc: str, user: int, granted: set[int]) -> bool:
        if user in granted:
            return False
        granted.add(user)
        # Every generated document is incoming: each grant opens it at its arrival.
        self.user_grants.append(f"{doc}\t{self.g.view_perm}\t{user}\t{self.received_s}")
        return True

    def grant_unit(self, doc: str, unit: Unit, secret: bool, granted: set[int]) -> str:
        """A unit's grant; a confidential document goes to its head in person."""
        if secret:
            if self.grant_user(doc, unit.head, granted):
                return self.g.names[unit.head]
            return ""
        self.rows["documents_documentgroupobjectpermission"].append(
            f"{doc}\t{unit.id}\t{self.g.view_perm}\t{self.received_s}"
        )
        return unit.name

    def assignment(
        self,
        doc: str,
        role: str,
        state: str,
        deadline_s: str,
        assigned_s: str,
        assigned_by: int,
        unit: int | str = N,
        user: int | str = N,
        parent: int | str = N,
        direction: int | str = N,
        note: str = "",
        completed_s: str = N,
        completed_by: int | str = N,
        result: str = "",
    ) -> int:
        g = self.g
        g.next_assignment += 1
        aid = g.next_assignment
        self.rows["routing_assignment"].append(
            f"{aid}\t{role}\t{state}\t{deadline_s}\t{deadline_s}\t{note}\t{assigned_s}\t"
            f"{completed_s}\t{result}\t{assigned_by}\t{unit}\t{user}\t{completed_by}\t{doc}\t"
            f"{parent}\t{direction}"
        )
        return aid

    def arrivals(self) -> list[datetime]:
        g, rng = self.g, self.rng
        start = wall(self.year)
        end = min(wall(self.year + 1), g.now - timedelta(minutes=30))
        days = [
            start + timedelta(days=i)
            for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5
        ]
        moments = []
        while len(moments) < self.count:
            day = days[int(rng.random() * len(days))]
            moment = day + timedelta(minutes=420 + int(rng.random() * 600))
            if moment < end:
                moments.append(moment)
        moments.sort()
        return moments

    def build(self, writer: Writer) -> dict[str, object]:
        g, rng = self.g, self.rng
        arrivals = self.arrivals()
        year_index = g.years.index(self.year)
        register_ids = (2 * year_index + 1, 2 * year_index + 2)
        numbers = [0, 0]
        counters: dict[int, int] = {}
        for i, received in enumerate(arrivals, start=1):
            g.next_document += 1
            secret = rng.random() < 0.03
            numbers[secret] += 1
            self.document(
                g.next_document, received, register_ids[secret], numbers[secret], secret, counters
            )
            if i % self.CHUNK == 0 or i == len(arrivals):
                writer.put(("chunk", dict(self.rows)))
                self.__init__(g, self.year, self.count)
                self.rng = rng
        return {"register": numbers[0], "confidential": numbers[1], "ids": register_ids}

    def document(
        self,
        doc_id: int,
        received: datetime,
        register_id: int,
        number: int,
        secret: bool,
        counters: dict[int, int],
    ) -> None:
        g, d = self.g, self.g.directory
        rng = self.rng
        rand = rng.random
        now = g.now
        doc = str(doc_id)
        sender_index = g.pick_sender()
        sender = g.senders[sender_index]
        counters[sender_index] = (
            counters.get(sender_index, 1 + int(rand() * 300)) + 1 + int(rand() * 6)
        )
        type_code = g.pick_type()
        abbreviation = g.type_abbreviations[type_code]
        if abbreviation:
            symbol = f"{abbreviation}-{sender.unit}"
        else:
            sub = sender.subs[int(rand() * len(sender.subs))]
            symbol = f"{sender.unit}-{sub}" if sub else sender.unit
        n = counters[sender_index]
        number_symbol = f"{n:02d}/{symbol}"
        summary, summary_folded = g.summary(type_code, received.year, rng)
        # documents.text.fold and number_symbol_key, applied to the parts (memoised) and
        # checked against the whole string on a sample.
        search_text = f"{summary_folded} {n:02d}/{g.fold(symbol)} {sender.key}"
        ns_key = f"{n}/{g.symbol_key(symbol)}"
        if doc_id % 101 == 0:
            assert search_text == fold(f"{summary} {number_symbol} {sender.name}"), doc_id
            assert ns_key == number_symbol_key(number_symbol), (ns_key, number_symbol)
            self.checked += 1
        clerk = d.clerks[int(rand() * len(d.clerks))]
        urgency = g.pick_urgency()
        secrecy = (1 if rand() < 0.9 else 2) if secret else 0
        state = "registered"
        version = 1
        deadline_s = N
        completed_s = N
        result_summary = reply = cancel_reason = ""
        archive = (now - received).days > 60
        fate = rand()
        granted: set[int] = set()
        registered_at = received + timedelta(minutes=1 + int(rand() * 40))
        registered_s = ts(registered_at)
        self.received_s = ts(received)  # the grants' register_order
        last_s = registered_s
        self.event(
            doc,
            clerk,
            "registered",
            registered_s,
            f"Số đến {number:02d} trong {g.register_names[register_id]}",
            dst="registered",
        )
        self.grant_user(doc, clerk, granted)
        self.event(doc, clerk, "granted", registered_s, g.names[clerk])

        def finish_row() -> None:
            issued = received.date() - timedelta(days=int(rand() * 8))
            electronic = rand() < 0.4 + 0.05 * (received.year - g.years[0])
            self.rows["documents_document"].append(
                f"{doc}\tincoming\t{number}\t{ts(received)}\t{registered_s}\t{sender.name}\t"
                f"{number_symbol}\t{ns_key}\t{issued.isoformat()}\t{summary}\t{g.signer()}\t"
                f"{urgency}\t{secrecy}\t{1 + int(rand() * 30)}\t{deadline_s}\t"
                f"{'electronic' if electronic else 'paper'}\t\t{state}\t{version}\t"
                f"{completed_s}\t{result_summary}\t{reply}\t{cancel_reason}\t{search_text}\t"
                f"{last_s}\t{clerk}\t{g.type_ids[type_code]}\t{register_id}\t{sender.key}"
            )

        if fate < 0.004:
            moment = working_moment(registered_at, 1, rng)
            if moment < now:
                cancel_reason = "Văn bản gửi nhầm địa chỉ, đã báo lại cơ quan gửi."
                state, version, last_s = "cancelled", 2, ts(moment)
                self.event(doc, clerk, "cancelled", last_s, cancel_reason, "registered", state)
            finish_row()
            return
        submitted = working_moment(registered_at, 0.5 + rand() * 2.5, rng)
        if submitted >= now:
            finish_row()
            return
        submitted_s = ts(submitted)
        leader = g.pick_leader()
        self.grant_user(doc, leader, granted)
        self.event(doc, clerk, "granted", submitted_s, g.names[leader])
        self.event(
            doc,
            clerk,
            "submitted",
            submitted_s,
            f"Tới {g.titles[leader]}. ",
            "registered",
            "awaiting_direction",
            f'{{"leader_id": {leader}}}',
        )
        self.notice(leader, "document_to_direct", submitted, submitted_s, clerk, doc)
        state, version, last_s = "awaiting_direction", 2, submitted_s
        directed = working_moment(submitted, 2 + rand() * 28, rng)
        if (archive and fate < 0.005) or directed >= now:
            self.assignment(doc, "direct", "pending", N, submitted_s, clerk, user=leader)
            finish_row()
            return
        directed_s = ts(directed)
        if not archive and fate < 0.02:
            reason = "Đề nghị Văn thư bổ sung phụ lục kèm theo."
            self.assignment(doc, "direct", "closed", N, submitted_s, clerk, user=leader)
            self.event(doc, leader, "returned", directed_s, reason, state, "returned")
            self.notice(
                clerk,
                "document_returned",
                directed,
                directed_s,
                leader,
                doc,
                f'{{"reason": "{reason}"}}',
            )
            state, version, last_s = "returned", 3, directed_s
            finish_row()
            return
        self.assignment(
            doc,
            "direct",
            "done",
            N,
            submitted_s,
            clerk,
            user=leader,
            completed_s=directed_s,
            completed_by=leader,
        )
        # The direction: one lead unit, up to two coordinating units, sometimes a reader.
        lead = g.pick_unit()
        coordinators: list[Unit] = []
        for _ in range(g.pick_coordinator_count()):
            unit = g.related_unit(lead) if rand() < 0.5 else g.pick_unit()
            if unit is not lead and unit not in coordinators:
                coordinators.append(unit)
        informed = 0
        if rand() < 0.1:
            informed = d.chief_of_office if leader != d.chief_of_office else d.leaders[1]
        deadline = add_working_days(directed.date(), DEADLINE_DAYS[int(rand() * 6)])
        deadline_s = deadline.isoformat()
        g.next_direction += 1
        direction = g.next_direction
        coord_names = ", ".join(u.name for u in coordinators)
        text = vocab.DIRECTION_TEXTS[int(rand() * len(vocab.DIRECTION_TEXTS))].format(
            lead=lead.name,
            coord=f", {coord_names} phối hợp" if coord_names else "",
            deadline=f"{deadline:%d/%m/%Y}",
        )
        self.rows["routing_direction"].append(
            f"{direction}\t{text}\t{deadline_s}\t{directed_s}\t{doc}\t{leader}"
        )
        lead_json = f'{{"role": "lead", "deadline": "{deadline_s}"}}'
        # Archived documents that never finished: left with the unit, or with the handler
        # (they fill the to-do lists and the overdue counts).
        stuck_directed = archive and fate < 0.008
        stuck_in_progress = archive and 0.008 <= fate < 0.018
        passed: datetime | None = working_moment(directed, 1 + rand() * 19, rng)
        if stuck_directed or passed >= now:
            passed = None
        specialist = lead.specialists[int(rand() * len(lead.specialists))] if passed else 0
        finish: datetime | None = None
        if passed and not stuck_in_progress:
            late = rand() < 0.15
            finish_day = (
                deadline + timedelta(days=1 + int(rand() * 6))
                if late
                else deadline - timedelta(days=int(rand() * 4))
            )
            finish = datetime.combine(max(finish_day, passed.date()), passed.time()).replace(
                hour=8 + int(rand() * 9)
            )
            finish = working_moment(finish, 0, rng)
            if finish <= passed:
                finish = working_moment(passed, 2, rng)
            if finish >= now:
                finish = None
        done = finish is not None
        finish_s = ts(finish) if finish else N
        lead_state = "done" if done else ("passed_on" if passed else "pending")
        lead_result = g.result() if done else ""
        lead_id = self.assignment(
            doc,
            "lead",
            lead_state,
            deadline_s,
            directed_s,
            leader,
            unit=lead.id,
            direction=direction,
            completed_s=finish_s,
            completed_by=specialist if done else N,
            result=lead_result,
        )
        name = self.grant_unit(doc, lead, secret, granted)
        if name:
            self.event(doc, leader, "granted", directed_s, name)
        self.notice(lead.head, "document_assigned", directed, directed_s, leader, doc, lead_json)
        coord_json = f'{{"role": "coordinate", "deadline": "{deadline_s}"}}'
        for unit in coordinators:
            part_at = working_moment(directed, 4 + rand() * 56, rng)
            if finish and part_at >= finish:
                part_at = finish - timedelta(hours=1)
            part_done = part_at < now and rand() < (0.8 if done else 0.5)
            part_s = ts(part_at) if part_done else N
            coord_id = self.assignment(
                doc,
                "coordinate",
                "done" if part_done else ("closed" if done else "pending"),
                deadline_s,
                directed_s,
                leader,
                unit=unit.id,
                direction=direction,
                completed_s=part_s,
                completed_by=unit.head if part_done else N,
                result=PART_RESULT if part_done else "",
            )
            name = self.grant_unit(doc, unit, secret, granted)
            if name:
                self.event(doc, leader, "granted", directed_s, name)
            self.notice(
                unit.head, "document_assigned", directed, directed_s, leader, doc, coord_json
            )
            if part_done:
                self.event(
                    doc,
                    unit.head,
                    "part_done",
                    part_s,
                    PART_RESULT,
                    data=f'{{"assignment_id": {coord_id}}}',
                )
                holder = specialist if passed and part_at > passed else lead.head
                self.notice(holder, "part_completed", part_at, part_s, unit.head, doc)
        if informed:
            read_at = working_moment(directed, 0.5 + rand() * 47.5, rng)
            was_read = read_at < now and rand() < 0.7
            read_s = ts(read_at) if was_read else N
            self.assignment(
                doc,
                "inform",
                "done" if was_read else ("closed" if done else "pending"),
                N,
                directed_s,
                leader,
                user=informed,
                direction=direction,
                completed_s=read_s,
                completed_by=informed if was_read else N,
            )
            if self.grant_user(doc, informed, granted):
                self.event(doc, leader, "granted", directed_s, g.names[informed])
            self.notice(
                informed,
                "document_assigned",
                directed,
                directed_s,
                leader,
                doc,
                '{"role": "inform", "deadline": null}',
            )
            if was_read:
                self.event(doc, informed, "read", read_s)
        coord_list = ", ".join(f'"{u.name}"' for u in coordinators)
        informed_list = f'"{g.names[informed]}"' if informed else ""
        self.event(
            doc,
            leader,
            "directed",
            directed_s,
            text,
            "awaiting_direction",
            "directed",
            f'{{"lead": "{lead.name}", "coordinators": [{coord_list}], '
            f'"informed": [{informed_list}], "deadline": "{deadline_s}"}}',
        )
        state, version, last_s = "directed", 3, directed_s
        if passed is None:
            finish_row()
            return
        passed_s = ts(passed)
        head = lead.head
        child_id = self.assignment(
            doc,
            "lead",
            "done" if done else "pending",
            deadline_s,
            passed_s,
            head,
            user=specialist,
            parent=lead_id,
            direction=direction,
            note=PASS_NOTE,
            completed_s=finish_s,
            completed_by=specialist if done else N,
            result=lead_result,
        )
        if self.grant_user(doc, specialist, granted):
            self.event(doc, head, "granted", passed_s, g.names[specialist])
        self.event(
            doc,
            head,
            "passed_on",
            passed_s,
            f"Chủ trì: {g.titles[specialist]}. {PASS_NOTE}",
            "directed",
            "in_progress",
            f'{{"assignment_id": {child_id}, "deadline": "{deadline_s}"}}',
        )
        self.notice(specialist, "document_assigned", passed, passed_s, head, doc, lead_json)
        state, version, last_s = "in_progress", 4, passed_s
        if rand() < 0.03:
            self.extension(doc, lead_id, head, leader, passed, deadline, done)
        if not done:
            finish_row()
            return
        result_summary = lead_result
        reply = f"{100 + int(rand() * 8900)}/{lead.code}-VP"
        completed_s = finish_s
        self.event(
            doc,
            specialist,
            "completed",
            finish_s,
            result_summary,
            "in_progress",
            "completed",
            f'{{"reply_number_symbol": "{reply}"}}',
        )
        self.notice(leader, "document_completed", finish, finish_s, specialist, doc)
        state, version, last_s = "completed", 5, finish_s
        finish_row()

    def extension(
        self,
        doc: str,
        assignment: int,
        head: int,
        leader: int,
        after: datetime,
        deadline: date,
        done: bool,
    ) -> None:
        rng, now = self.rng, self.g.now
        asked = working_moment(after, 4 + rng.random() * 26, rng)
        if asked >= now:
            return
        decided = working_moment(asked, 2 + rng.random() * 18, rng)
        requested = (deadline + timedelta(days=7)).isoformat()
        reason = "Cần thêm thời gian lấy ý kiến các xã, thị trấn."
        if decided >= now and not done:
            state, decided_s, decided_by = "pending", N, N
        else:
            state = "granted" if rng.random() < 0.8 else "refused"
            decided_s, decided_by = ts(min(decided, now)), str(leader)
        self.rows["routing_deadlineextension"].append(
            f"{ts(asked)}\t{deadline.isoformat()}\t{requested}\t{reason}\t{state}\t"
            f"{decided_s}\t\t{assignment}\t{decided_by}\t{head}"
        )
        data = f'{{"requested_deadline": "{requested}"}}'
        self.event(doc, head, "extension_requested", ts(asked), reason, data=data)
        if state != "pending":
            self.event(doc, leader, f"extension_{state}", decided_s, "", data=data)


DEADLINE_DAYS = (3, 5, 7, 10, 15, 20)
PART_RESULT = "Đã có ý kiến phối hợp bằng văn bản."
PASS_NOTE = "Đề nghị đồng chí nghiên cứu, tham mưu."  # noqa: S105 - not a password


class Generator:
    def __init__(self, args: argparse.Namespace, now: datetime, view_perm: int) -> None:
        self.seed = args.seed
        self.now = now
        self.view_perm = view_perm
        self.years = list(range(now.year - args.years + 1, now.year + 1))
        self.directory = d = build_directory(args.users, args.departments, args.seed)
        self.names = {p.id: p.full_name for p in d.people}
        self.titles = {p.id: p.title for p in d.people}
        self.never_read = d.never_read
        rng = random.Random(args.seed + 1)
        self.rng = rng
        self.senders, sender_weights = build_senders(rng)
        self.pick_sender = Weighted(list(range(len(self.senders))), sender_weights, rng)
        self.pick_leader = Weighted(d.leaders, d.leader_weights, rng)
        self.pick_unit = Weighted(d.units, [u.weight for u in d.units], rng)
        self.pick_coordinator_count = Weighted([0, 1, 2], [50, 30, 20], rng)
        self.pick_urgency = Weighted([0, 1, 2, 3], [80, 12, 5, 3], rng)
        self.pick_type = Weighted(list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values()), rng)
        self.pick_topic = Weighted(
            [t for t, _w in vocab.TOPICS], [w for _t, w in vocab.TOPICS], rng
        )
        self.pick_scope = Weighted(
            [s for s, _w in vocab.SCOPES], [w for _s, w in vocab.SCOPES], rng
        )
        self.pick_time = Weighted([t for t, _w in vocab.TIMES], [w for _t, w in vocab.TIMES], rng)
        self.signers = [
            f"{rng.choice(vocab.FAMILY)[0]} {rng.choice(vocab.MIDDLE)} {rng.choice(vocab.GIVEN)}"
            for _ in range(3000)
        ]
        self.children: dict[int, list[Unit]] = defaultdict(list)
        for unit in d.units:
            self.children[unit.parent or unit.id].append(unit)
        self.register_names = {}
        for i, year in enumerate(self.years):
            self.register_names[2 * i + 1] = f"Sổ văn bản đến năm {year}"
            self.register_names[2 * i + 2] = f"Sổ văn bản đến mật năm {year}"
        self.notice_seq: dict[int, int] = defaultdict(int)
        self.next_document = self.next_assignment = self.next_direction = 0
        self.type_ids: dict[str, int] = {}
        self.type_abbreviations: dict[str, str] = {}
        self.fold = functools.lru_cache(maxsize=None)(fold)
        self.symbol_key = functools.lru_cache(maxsize=None)(
            lambda symbol: number_symbol_key(f"1/{symbol}").partition("/")[2]
        )

    def signer(self) -> str:
        return self.signers[int(self.rng.random() * len(self.signers))]

    def related_unit(self, unit: Unit) -> Unit:
        family = self.children[unit.parent or unit.id]
        return family[int(self.rng.random() * len(family))]

    def result(self) -> str:
        return vocab.RESULTS[int(self.rng.random() * len(vocab.RESULTS))]

    def summary(self, type_code: str, year: int, rng: random.Random) -> tuple[str, str]:
        """A summary and its folded form (documents.text.fold of each part, memoised)."""
        rand = rng.random
        actions = vocab.TYPE_ACTIONS.get(type_code, vocab.CV_ACTIONS)
        parts = [actions[int(rand() * len(actions))], self.pick_topic()]
        scope = self.pick_scope()
        if scope:
            parts.append(
                scope.format(
                    district=vocab.DISTRICTS[int(rand() * len(vocab.DISTRICTS))],
                    commune=vocab.COMMUNES[int(rand() * len(vocab.COMMUNES))],
                )
            )
        when = self.pick_time()
        if when:
            parts.append(
                when.format(
                    year=year,
                    year5=year + 4,
                    quarter=1 + int(rand() * 4),
                    month=1 + int(rand() * 12),
                )
            )
        return " ".join(parts), " ".join(self.fold(p) for p in parts)

    def year_counts(self, documents: int) -> dict[int, int]:
        """Documents per year: 3% more each year; the current year pro rata."""
        start = wall(self.now.year)
        end = wall(self.now.year + 1)
        fraction = (self.now - start) / (end - start)
        weights = [1.03**i for i in range(len(self.years))]
        weights[-1] *= fraction
        total = sum(weights)
        counts = [int(documents * w / total) for w in weights]
        counts[-1] += documents - sum(counts)
        return dict(zip(self.years, counts, strict=True))


# Measured here (100,000 documents): the load's wall time is ~1.1x the Python generation time
# (COPY overlaps it), and rebuilding the indexes plus VACUUM ANALYZE takes ~0.22 ms a document.
LOAD_OVER_PYTHON = 1.1
FINISH_SECONDS_PER_DOCUMENT = 0.00022


class _NoWriter:
    def put(self, item: object) -> None:
        pass


def make_plan(
    args: argparse.Namespace, now: datetime, view_perm: int, g: Generator, elapsed: float
) -> dict[str, object]:
    """How many documents fit in the budget: time 3,000 documents without writing them."""
    probe = Generator(args, now, view_perm)
    probe.type_ids, probe.type_abbreviations = g.type_ids, g.type_abbreviations
    t0 = time.perf_counter()
    YearBuilder(probe, now.year - 1, 3000).build(_NoWriter())
    python_per_doc = (time.perf_counter() - t0) / 3000
    per_doc = python_per_doc * LOAD_OVER_PYTHON + FINISH_SECONDS_PER_DOCUMENT
    fit = int((args.budget - elapsed - 30) / per_doc)
    documents = min(args.documents, max(10_000, fit // 10_000 * 10_000))
    return {
        "documents": documents,
        "python_us_per_document": round(python_per_doc * 1e6),
        "estimated_seconds": round(documents * per_doc + elapsed),
    }


def check_vocab() -> None:
    texts = [
        *[n for n, _w in vocab.FAMILY],
        *vocab.MIDDLE,
        *vocab.GIVEN,
        *[t for t, _w in vocab.TOPICS],
        *vocab.CV_ACTIONS,
        *(a for v in vocab.TYPE_ACTIONS.values() for a in v),
        *vocab.DIRECTION_TEXTS,
        *vocab.RESULTS,
        *vocab.COMMUNES,
        *vocab.DISTRICTS,
    ]
    bad = [t for t in texts if any(c in t for c in "\t\n\\") or nfc(t) != t]
    if bad:
        raise SystemExit(f"vocabulary not COPY-safe or not NFC: {bad[:3]}")


# --- index handling --------------------------------------------------------------------------


def secondary_indexes(conn: psycopg.Connection) -> list[dict[str, str]]:
    """Definitions of the non-primary-key indexes and unique constraints of BIG_TABLES."""
    rows = conn.execute(
        """
        SELECT t.relname, i.relname, pg_get_indexdef(i.oid), c.conname,
               pg_get_constraintdef(c.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('u', 'x')
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
        ORDER BY t.relname, i.relname
        """,
        [BIG_TABLES],
    ).fetchall()
    return [
        {"table": t, "index": i, "indexdef": idef, "constraint": c or "", "condef": cdef or ""}
        for t, i, idef, c, cdef in rows
    ]


def drop_indexes(conn: psycopg.Connection, defs: list[dict[str, str]]) -> None:
    for d in defs:
        if d["constraint"]:
            conn.execute(f'ALTER TABLE {d["table"]} DROP CONSTRAINT IF EXISTS "{d["constraint"]}"')
        else:
            conn.execute(f'DROP INDEX IF EXISTS "{d["index"]}"')


def rebuild_indexes(url: str, defs: list[dict[str, str]]) -> dict[str, float]:
    """Recreate the dropped indexes on two connections, largest first (trigram GIN)."""
    timings: dict[str, float] = {}
    existing_q = "SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'i'"

    def build(d: dict[str, str]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '768MB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            if conn.execute(existing_q, [d["index"]]).fetchone():
                return
            started = time.perf_counter()
            if d["constraint"]:
                conn.execute(d["indexdef"])
                conn.execute(
                    f'ALTER TABLE {d["table"]} ADD CONSTRAINT "{d["constraint"]}" '
                    f'UNIQUE USING INDEX "{d["index"]}"'
                    + (" DEFERRABLE INITIALLY DEFERRED" if "DEFERRABLE" in d["condef"] else "")
                )
            else:
                conn.execute(d["indexdef"])
            timings[d["index"]] = round(time.perf_counter() - started, 2)

    # The trigram GIN index takes longest: start it first, then the largest tables.
    by_size = [
        "documents_documentevent",
        "realtime_notice",
        "routing_assignment",
        "documents_documentuserobjectpermission",
        "documents_document",
        "documents_documentgroupobjectpermission",
        "routing_direction",
        "routing_deadlineextension",
    ]
    ordered = sorted(defs, key=lambda d: ("gin" not in d["indexdef"], by_size.index(d["table"])))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(build, ordered))
    return timings


# --- main ---------------------------------------------------------------------------------------


def table_sizes(conn: psycopg.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        """
        SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid),
               pg_total_relation_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
        ORDER BY pg_total_relation_size(c.oid) DESC
        """
    ).fetchall()
    return [
        {
            "table": r[0],
            "rows": r[1],
            "table_mb": round(r[2] / 2**20, 1),
            "indexes_mb": round(r[3] / 2**20, 1),
            "total_mb": round(r[4] / 2**20, 1),
        }
        for r in rows
        if r[4] > 64 * 1024
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--budget", type=float, default=720, help="seconds for the whole generation"
    )
    parser.add_argument("--reset", action="store_true", help="drop the database first")
    args = parser.parse_args()
    started = time.perf_counter()
    check_vocab()
    ensure_database(args.url, reset=args.reset)
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    import django

    django.setup()

    conn = psycopg.connect(args.url)
    defaulted = default_new_columns(conn)
    if defaulted:
        log(f"database defaults for {len(defaulted)} columns the loader does not write")
    markers = read_markers(conn)
    params = {
        "documents": args.documents,
        "users": args.users,
        "departments": args.departments,
        "years": args.years,
        "seed": args.seed,
    }
    if "complete" in markers:
        done = markers["complete"]
        if markers.get("params", {}).get("request") != params:
            log(f"the database holds another data set {markers.get('params')}; use --reset")
            return 2
        log(f"data already generated ({done['documents']:,} documents): nothing to do")
        return 0
    if "params" in markers:
        if markers["params"]["request"] != params:
            log("an unfinished generation with other parameters is there; use --reset")
            return 2
        now = datetime.fromisoformat(markers["params"]["now"])
        log("resuming an interrupted generation")
    else:
        now = datetime.now(UTC).astimezone(LOCAL).replace(microsecond=0, tzinfo=None)
        set_marker(conn, "params", {"request": params, "now": now.isoformat()})
        conn.commit()
    view_perm = conn.execute(
        "SELECT p.id FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id "
        "WHERE c.app_label = 'documents' AND p.codename = 'view_document'"
    ).fetchone()[0]
    g = Generator(args, now, view_perm)
    for code, pk, abbreviation in conn.execute(
        "SELECT code, id, abbreviation FROM documents_documenttype"
    ):
        g.type_ids[code] = pk
        g.type_abbreviations[code] = abbreviation
    timings: dict[str, object] = dict(markers.get("timings", {}))

    if "directory" not in markers:
        t0 = time.perf_counter()
        insert_directory(conn, g.directory, now, g.years)
        set_marker(
            conn, "directory", {"users": len(g.directory.people), "units": len(g.directory.units)}
        )
        conn.commit()
        timings["directory_s"] = round(time.perf_counter() - t0, 1)
        log(f"directory: {len(g.directory.people):,} people in {len(g.directory.units)} units")

    if "indexes" not in markers:
        defs = secondary_indexes(conn)
        drop_indexes(conn, defs)
        set_marker(conn, "indexes", defs)
        conn.commit()
        markers["indexes"] = defs
        log(f"dropped {len(defs)} secondary indexes for the load")

    # Resume the counters from what is already loaded.
    g.next_document = conn.execute(
        "SELECT coalesce(max(id), 0) FROM documents_document"
    ).fetchone()[0]
    g.next_assignment = conn.execute(
        "SELECT coalesce(max(id), 0) FROM routing_assignment"
    ).fetchone()[0]
    g.next_direction = conn.execute(
        "SELECT coalesce(max(id), 0) FROM routing_direction"
    ).fetchone()[0]
    for user_id, seq in conn.execute(
        "SELECT recipient_id, max(seq) FROM realtime_notice GROUP BY recipient_id"
    ):
        g.notice_seq[user_id] = seq
    conn.commit()

    plan = markers.get("plan")
    if plan is None:
        plan = make_plan(args, now, view_perm, g, time.perf_counter() - started)
        set_marker(conn, "plan", plan)
        conn.commit()
    documents_planned = plan["documents"]
    if documents_planned < args.documents:
        log(
            f"{args.documents:,} documents do not fit in the {args.budget:.0f} s budget on this "
            f"machine now: generating {documents_planned:,}"
        )
    counts = g.year_counts(documents_planned)
    load_started = time.perf_counter()
    loaded_before = g.next_document
    writer = Writer(args.url)
    writer.start()
    truncated = False
    per_doc = None
    finish_reserve = FINISH_SECONDS_PER_DOCUMENT * documents_planned + 20
    for year in g.years:
        key = f"year:{year}"
        if key in markers:
            continue
        elapsed = time.perf_counter() - started
        if per_doc is not None and elapsed + per_doc * counts[year] + finish_reserve > args.budget:
            log(f"time budget reached before {year}: stopping the load here")
            truncated = True
            break
        t0 = time.perf_counter()
        # The same per-year random stream on a resumed run.
        g.rng.seed(args.seed * 7919 + year)
        builder = YearBuilder(g, year, counts[year])
        numbers = builder.build(writer)
        statements = [
            (
                "UPDATE documents_register SET last_number = %s WHERE id = %s",
                [numbers["register"], numbers["ids"][0]],
            ),
            (
                "UPDATE documents_register SET last_number = %s WHERE id = %s",
                [numbers["confidential"], numbers["ids"][1]],
            ),
            (
                "INSERT INTO bench_generation (key, value) VALUES (%s, %s)",
                [key, json.dumps({"documents": counts[year], "seconds": 0})],
            ),
        ]
        # The year commits in the writer thread while the next one is being built.
        writer.put(("commit", (statements, threading.Event())))
        seconds = time.perf_counter() - t0
        per_doc = (time.perf_counter() - load_started) / max(1, g.next_document - loaded_before)
        log(
            f"{year}: {counts[year]:,} documents in {seconds:.1f} s "
            f"(COPY busy {writer.copy_seconds:.1f} s so far)"
        )
    writer.put(None)
    writer.join()
    if writer.error:
        raise RuntimeError("loading failed") from writer.error
    timings["load_s"] = round(
        float(timings.get("load_s", 0)) + time.perf_counter() - load_started, 1
    )

    # Rebuild indexes, sequences and counters; then VACUUM ANALYZE for the planner and the
    # visibility map (index-only scans).
    t0 = time.perf_counter()
    defs = markers["indexes"]
    index_timings = rebuild_indexes(args.url, defs)
    timings["indexes_s"] = round(time.perf_counter() - t0, 1)
    log(f"rebuilt {len(defs)} indexes in {timings['indexes_s']} s")
    conn = psycopg.connect(args.url, autocommit=True)
    for table in BIG_TABLES:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constant
            f"greatest((SELECT max(id) FROM {table}), 1))"
        )
    conn.execute("DELETE FROM realtime_noticecounter")
    conn.execute(
        "INSERT INTO realtime_noticecounter (user_id, last_seq) "
        "SELECT recipient_id, max(seq) FROM realtime_notice GROUP BY recipient_id"
    )
    t0 = time.perf_counter()
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("VACUUM (ANALYZE)")
    timings["vacuum_analyze_s"] = round(time.perf_counter() - t0, 1)
    documents = conn.execute("SELECT count(*) FROM documents_document").fetchone()[0]
    timings["total_s"] = round(float(timings.get("total_s", 0)) + time.perf_counter() - started, 1)
    summary = {
        "documents": documents,
        "requested_documents": args.documents,
        "plan": plan,
        "truncated_by_budget": truncated,
        "years": sorted(
            int(key.split(":")[1])
            for (key,) in conn.execute("SELECT key FROM bench_generation WHERE key LIKE 'year:%%'")
        ),
        "now": now.isoformat(),
        "timings": timings,
        "index_timings_s": index_timings,
        "tables": table_sizes(conn),
        "database_mb": round(
            conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
        ),
    }
    set_marker(conn, "complete", summary)
    log(
        f"done: {documents:,} documents, {summary['database_mb']:,} MB, "
        f"{timings['total_s']} s in all"
    )
    for t in summary["tables"][:12]:
        log(f"  {t['table']:<42} {t['rows']:>11,} rows {t['total_mb']:>9,.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
