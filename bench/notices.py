"""Issue 5, part 1: notice latency and fan-out, against floors measured in the same run.

    taskset -c 1 .venv/bin/python -m bench.notices          (what `make bench-notices` runs)
    .venv/bin/python -m bench.notices --quick               (tiny: harness check, ~1 min)

What it does, bounded by --budget (default 690 s, then it stops itself):

1. Creates its own PostgreSQL database (``eoffice_bench_notices`` on 127.0.0.1), migrates it,
   and starts its own redis-server on a free 127.0.0.1 port (so that no other Channels user
   of the shared Redis can publish into the benchmark's groups). Writes the users, their
   session rows and the documents to direct (bench/notices_setup.py).
2. Starts, each pinned to core 0 with ``taskset -c 0``: daphne serving the product
   (``eoffice.asgi:application``), daphne serving a bare Channels consumer with the same
   channel layer (bench/notices_channels_app.py) and its sender, a bare ``websockets``
   server (bench/notices_ws_server.py), the announcement trigger
   (bench/notices_trigger.py) and the redis-server. This harness runs on core 1, with the
   raw-Redis receivers in a second client process (bench/notices_redis_receivers.py).
3. For N = 100, 1,000 and 5,000 it creates N users with sessions, ramps session-
   authenticated websockets to the product (origin header, hello, wait for ready) at up to
   --ramp-rate per second (a rejected handshake is retried once), the same sockets to the
   bare servers, and N raw Redis pub/sub receivers. User 0 has three tabs.
4. Runs the scenarios --rounds times, the systems interleaved (rotated each round): one
   user with three tabs, a direction naming 10 and 100 people, an announcement to all N,
   and a burst of 50 events in one second. Product events are real HTTP actions (POST
   /incoming/<id>/direct/ as the leader), except the announcement (bench-only trigger that
   calls realtime.services.notify; the product has no such action). Latency is per socket,
   from just before the request is sent to the receipt of the notice frame. Rounds are
   cut to fit the budget, keeping room for the larger levels.
5. Writes bench/results/<date>-notices.json and .md, and the "Notices" section of
   docs/PERFORMANCE.md; drops the database and stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import notices_client as wsc  # noqa: E402
from bench import notices_report as report  # noqa: E402

clock = wsc.clock
PY = sys.executable
DB_NAME = "eoffice_bench_notices"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
SERVER_CORE = "0"
CLIENT_CORE = 1
WS_SYSTEMS = ("full", "channels", "websockets")
SOCKETS_OF = {
    "full": "full",
    "channels": "channels",
    "channels-loop": "channels",
    "websockets": "websockets",
    "redis": "redis",
}
SATURATED = 0.90


@dataclass(frozen=True)
class Scenario:
    name: str
    events: int
    spacing: float  # seconds between events (fixed schedule, open loop)
    what: str

    def users(self, n: int, event: int) -> list[int] | str:
        if self.name == "one_user":
            return [0]
        if self.name == "dept10":
            return list(range(1, min(11, n)))
        if self.name == "dept100":
            return list(range(1, 101)) if n > 100 else list(range(n))
        if self.name == "burst50":
            return [1 + event % (n - 1)]
        return "all"


SCENARIOS = [
    Scenario("one_user", 5, 0.3, "5 directions to one user with 3 tabs, one every 0.3 s"),
    Scenario("dept10", 1, 0.0, "a direction naming 10 people (1 lead + 9 informed)"),
    Scenario("dept100", 1, 0.0, "a direction naming 100 people (1 lead + 99 informed)"),
    Scenario("announce", 1, 0.0, "an announcement to all N users"),
    Scenario("burst50", 50, 0.02, "50 directions in one second, each to another user"),
]


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[bench-notices {stamp}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, check=True):
    return subprocess.run(
        cmd, timeout=timeout, env=env, check=check, capture_output=True, text=True, cwd=ROOT
    )


def raise_nofile(wanted: int = 200_000) -> dict[str, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    new_soft, new_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {"before_soft": soft, "before_hard": hard, "soft": new_soft, "hard": new_hard}


# --- processes ------------------------------------------------------------------------------


class Proc:
    """A child pinned to core 0; its pid is the command's own (taskset execs it)."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, logfile: Path) -> None:
        self.name, self.process, self.logfile = name, process, logfile
        self.pid = process.pid
        self.lines: dict[int, dict[str, Any]] = {}
        self.waiters: dict[int, asyncio.Future] = {}
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.on_receipts = None
        self.reader: asyncio.Task | None = None

    @classmethod
    async def start(
        cls,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        tmp: Path,
        *,
        pipes: bool = False,
        core: str = SERVER_CORE,
    ) -> Proc:
        logfile = tmp / f"{name}.log"
        out = logfile.open("wb")
        process = await asyncio.create_subprocess_exec(
            "taskset",
            "-c",
            core,
            *cmd,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE if pipes else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if pipes else out,
            stderr=out,
            limit=256 * 1024 * 1024,
        )
        proc = cls(name, process, logfile)
        if pipes:
            proc.ready = asyncio.get_running_loop().create_future()
            proc.reader = asyncio.create_task(proc._read())
        return proc

    async def request(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One command whose answer has no key (the redis receivers): one at a time.

        The answer is the first one carrying the command's name; a late answer to an
        earlier command that timed out is skipped.
        """
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        deadline = clock() + timeout
        while True:
            answer = await asyncio.wait_for(self.answers.get(), max(0.1, deadline - clock()))
            if command["cmd"] in answer:
                return answer

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("ready"):
                if not self.ready.done():
                    self.ready.set_result(True)
                continue
            if "r" in message:
                if self.on_receipts:
                    self.on_receipts(message["r"])
                continue
            key = message.get("key")
            if key is None:
                self.answers.put_nowait(message)
            else:
                self.lines[key] = message
                waiter = self.waiters.pop(key, None)
                if waiter and not waiter.done():
                    waiter.set_result(message)
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"{self.name} exited: {self.tail()}"))

    def send(self, command: dict[str, Any]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters[command["key"]] = future
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        return future

    def cpu(self) -> float | None:
        return wsc.proc_cpu(self.pid)

    def rss_kb(self) -> int | None:
        return wsc.proc_rss_kb(self.pid)

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        if self.reader:
            self.reader.cancel()


async def wait_port(port: int, proc: Proc, timeout: float = 60) -> None:
    deadline = clock() + timeout
    while clock() < deadline:
        if proc.process.returncode is not None:
            raise RuntimeError(f"{proc.name} exited: {proc.tail()}")
        try:
            _r, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{proc.name} did not listen on {port} within {timeout}s")


# --- measurements ---------------------------------------------------------------------------


class Measurement:
    """One scenario on one system in one round: expected (socket, event) pairs and receipts."""

    def __init__(self, level: int, rnd: int, scenario: str, system: str) -> None:
        self.level, self.round, self.scenario, self.system = level, rnd, scenario, system
        self.t0: dict[int, float] = {}
        self.expected: set[tuple[int, int]] = set()
        self.pending: set[tuple[int, int]] = set()
        self.latency: dict[tuple[int, int], float] = {}
        self.late: list[float] = []
        self.dups = 0
        self.unexpected = 0
        self.seq_dups = 0
        self.seq_gaps = 0
        self.events: list[dict[str, Any]] = []
        self.all_triggered = False
        self.done = asyncio.Event()

    def expect(self, key: int, sids: list[int]) -> None:
        pairs = {(sid, key) for sid in sids}
        self.expected |= pairs
        self.pending |= pairs
        self.t0[key] = clock()

    def receive(self, sid: int, key: int, t: float) -> None:
        pair = (sid, key)
        if pair in self.latency:
            self.dups += 1
        elif pair in self.pending:
            self.pending.discard(pair)
            self.latency[pair] = t - self.t0[key]
            if not self.pending and self.all_triggered:
                self.done.set()
        elif pair in self.expected:  # after the timeout
            self.late.append(t - self.t0[key])
        else:
            self.unexpected += 1

    def triggered(self) -> None:
        self.all_triggered = True
        if not self.pending:
            self.done.set()


class RedisReceiver:
    """The harness's record of one receiver of bench/notices_redis_receivers.py."""

    def __init__(self, user: int, tab: int, sid: int) -> None:
        self.system, self.user, self.tab, self.sid = "redis", user, tab, sid


class Bench:
    def __init__(self, args, data, env: dict[str, str], tmp: Path, redis_url: str) -> None:
        self.args, self.data, self.env, self.tmp, self.redis_url = args, data, env, tmp, redis_url
        self.t_start = clock()
        self.socks: dict[str, list] = {s: [] for s in (*WS_SYSTEMS, "redis")}
        self.by_user: dict[str, dict[int, list]] = {s: {} for s in (*WS_SYSTEMS, "redis")}
        self.active: dict[tuple[str, int], Measurement] = {}
        self.stray: Counter[str] = Counter()
        self.next_key = 10_000_000
        self.docs = data.docs  # grows round by round (add_documents)
        self.procs: dict[str, Proc] = {}
        self.ports: dict[str, int] = {}
        self.sid = 0
        self.problems: list[str] = []
        self.levels: list[dict[str, Any]] = []
        self.commands: dict[str, str] = {}
        self.redis_held = 0
        self.rss_base: dict[str, int | None] = {}
        self.full_keys_by_level: dict[int, dict[int, int]] = {}
        self.seen_rate: dict[str, float] = {}
        self.timeline: list[dict[str, Any]] = []
        self.sampler: asyncio.Task | None = None
        self.round_seconds: dict[int, float] = {}

    # --- time -----------------------------------------------------------------------------

    def remaining(self) -> float:
        return self.args.budget - (clock() - self.t_start)

    # --- servers --------------------------------------------------------------------------

    async def start_servers(self) -> None:
        env = self.env
        for name in ("full", "channels", "websockets"):
            self.ports[name] = free_port()
        endpoint = "tcp:port={}:interface=127.0.0.1:backlog=4096"
        full_cmd = [
            PY,
            "-m",
            "daphne",
            "-e",
            endpoint.format(self.ports["full"]),
            "eoffice.asgi:application",
        ]
        bare_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        channels_cmd = [
            PY,
            "-m",
            "daphne",
            "-e",
            endpoint.format(self.ports["channels"]),
            "bench.notices_channels_app:application",
        ]
        ws_cmd = [PY, "bench/notices_ws_server.py", str(self.ports["websockets"])]
        sender_cmd = [PY, "bench/notices_channels_sender.py"]
        trigger_cmd = [PY, "bench/notices_trigger.py", str(self.data.leader_pk)]
        for name, cmd in (
            ("daphne-full", full_cmd),
            ("daphne-channels", channels_cmd),
            ("ws-server", ws_cmd),
            ("channels-sender", sender_cmd),
            ("trigger", trigger_cmd),
        ):
            self.commands[name] = "taskset -c 0 " + " ".join(
                c.replace(PY, ".venv/bin/python") for c in cmd
            )
        self.procs["daphne-full"] = await Proc.start("daphne-full", full_cmd, env, self.tmp)
        self.procs["daphne-channels"] = await Proc.start(
            "daphne-channels", channels_cmd, bare_env, self.tmp
        )
        self.procs["ws-server"] = await Proc.start(
            "ws-server", ws_cmd, bare_env, self.tmp, pipes=True
        )
        self.procs["channels-sender"] = await Proc.start(
            "channels-sender", sender_cmd, bare_env, self.tmp, pipes=True
        )
        self.procs["trigger"] = await Proc.start("trigger", trigger_cmd, env, self.tmp, pipes=True)
        await wait_port(self.ports["full"], self.procs["daphne-full"])
        await wait_port(self.ports["channels"], self.procs["daphne-channels"])
        for name in ("ws-server", "channels-sender", "trigger"):
            await asyncio.wait_for(self.procs[name].ready, 60)
        status, _ = await wsc.http_request(self.ports["full"], "GET", "/healthz")
        if status != 200:
            raise RuntimeError(f"daphne /healthz answered {status}")
        receivers_cmd = [PY, "bench/notices_redis_receivers.py", self.redis_url]
        self.commands["redis-receivers"] = "taskset -c 1 " + " ".join(
            c.replace(PY, ".venv/bin/python") for c in receivers_cmd
        )
        receivers = await Proc.start(
            "redis-receivers",
            receivers_cmd,
            {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"},
            self.tmp,
            pipes=True,
            core=str(CLIENT_CORE),
        )
        receivers.on_receipts = self.redis_receipts
        await asyncio.wait_for(receivers.ready, 60)
        self.procs["redis-receivers"] = receivers
        log("servers up: " + ", ".join(f"{k}:{p.pid}" for k, p in self.procs.items()))

    # --- sockets --------------------------------------------------------------------------

    def sink(self, sock, t: float, message: dict[str, Any]) -> None:
        key = message.get("document_id")
        measurement = self.active.get((sock.system, key))
        if sock.system == "full":
            seq = message.get("seq") or 0
            if seq <= sock.last_seq:
                if measurement:
                    measurement.seq_dups += 1
                else:
                    self.stray["full-seq-dup"] += 1
            elif seq > sock.last_seq + 1 and measurement:
                measurement.seq_gaps += seq - sock.last_seq - 1
            sock.last_seq = max(sock.last_seq, seq)
        if measurement is None:
            self.stray[sock.system] += 1
            return
        measurement.receive(sock.sid, key, t)

    def _headers(self, system: str, user: int) -> tuple[str, dict[str, str]]:
        port = self.ports[system]
        headers = {"Origin": f"http://127.0.0.1:{port}"}
        if system == "full":
            if user < 0:
                headers["Cookie"] = f"sessionid={self.data.leader_session}"
            else:
                headers["Cookie"] = f"sessionid={self.data.sessions[user]}"
            return "/ws/", headers
        return f"/ws/?u={user}", headers

    async def ramp(
        self, system: str, specs: list[tuple[int, int]], rate: float, seqs: dict[int, int]
    ) -> dict[str, Any]:
        """Open sockets for (user, tab) at ``rate`` per second; returns the ramp's numbers."""
        cap = self.args.product_inflight if system == "full" else self.args.inflight
        semaphore = asyncio.Semaphore(cap)
        start = clock()
        opened: list[float] = []
        ready: list[float] = []
        failures: Counter[str] = Counter()
        failed_specs: list[tuple[int, int]] = []
        replayed = 0
        cpu_before = self._cpu_snapshot()

        async def one(i: int, user: int, tab: int) -> None:
            nonlocal replayed
            await asyncio.sleep(max(0.0, start + i / rate - clock()))
            async with semaphore:
                self.sid += 1
                sid = self.sid
                try:
                    path, headers = self._headers(system, user)
                    sock, t_open, t_ready = await wsc.open_socket(
                        system=system,
                        user=user,
                        tab=tab,
                        sid=sid,
                        port=self.ports[system],
                        path=path,
                        headers=headers,
                        last_seq=seqs.get(user, 0),
                        sink=self.sink,
                        timeout=self.args.connect_timeout,
                    )
                    opened.append(t_open)
                    ready.append(t_ready)
                    replayed += sock.replayed
                except Exception as error:
                    failures[f"{type(error).__name__}: {str(error)[:80]}"] += 1
                    failed_specs.append((user, tab))
                    return
            self.socks[system].append(sock)
            self.by_user[system].setdefault(user, []).append(sock)

        if system == "redis":
            await self._ramp_redis(specs, rate, opened, ready, failures)
        else:
            await asyncio.gather(*(one(i, u, tab) for i, (u, tab) in enumerate(specs)))
        wall = clock() - start
        cpu = self._cpu_delta(cpu_before, self._cpu_snapshot())
        ok = len(opened)
        result = {
            "requested": len(specs),
            "connected": ok,
            "failed": sum(failures.values()),
            "failures": dict(failures),
            "wall_s": round(wall, 2),
            "rate_target_per_s": rate,
            "rate_achieved_per_s": round(ok / wall, 1) if wall else None,
            "open_ms": report.stats_ms(opened),
            "ready_ms": report.stats_ms(ready),
            "replayed_on_hello": replayed,
            "cpu_s": cpu,
            "failed_specs": failed_specs,
        }
        daphne = {"full": "daphne-full", "channels": "daphne-channels"}.get(system)
        if daphne and ok and cpu.get(daphne) is not None:
            result["server_cpu_ms_per_connection"] = round(cpu[daphne] * 1000 / ok, 2)
        return result

    async def _ramp_redis(self, specs, rate, opened, ready, failures) -> None:
        records = {}
        for user, tab in specs:
            self.sid += 1
            records[self.sid] = RedisReceiver(user, tab, self.sid)
        answer = await self.procs["redis-receivers"].request(
            {
                "cmd": "ramp",
                "specs": [[sid, r.user, r.tab] for sid, r in records.items()],
                "rate": rate,
                "inflight": self.args.inflight,
                "timeout": self.args.connect_timeout,
            },
            timeout=len(specs) / rate + 120,
        )
        for sid, seconds in answer["ramp"]["ok"]:
            receiver = records[sid]
            opened.append(seconds)
            ready.append(seconds)
            self.socks["redis"].append(receiver)
            self.by_user["redis"].setdefault(receiver.user, []).append(receiver)
        failures.update(answer["ramp"]["failures"])

    def redis_receipts(self, batch: list[list]) -> None:
        for sid, key, t in batch:
            measurement = self.active.get(("redis", key))
            if measurement is None:
                self.stray["redis"] += 1
            else:
                measurement.receive(sid, key, t)

    async def held(self) -> dict[str, int]:
        counts = {s: sum(1 for sock in self.socks[s] if sock.is_open) for s in WS_SYSTEMS}
        try:
            answer = await self.procs["redis-receivers"].request({"cmd": "count"}, 30)
            counts["redis"] = answer["count"]
        except TimeoutError:
            counts["redis"] = None
        return counts

    def close_codes(self, system: str) -> dict[str, int]:
        codes: Counter[str] = Counter()
        for sock in self.socks[system]:
            if not sock.is_open:
                codes[str(sock.close_code) if sock.close_code else "lost"] += 1
        return dict(codes)

    # --- cpu ------------------------------------------------------------------------------

    def _cpu_snapshot(self) -> dict[str, Any]:
        return {
            "t": clock(),
            "procs": {name: p.cpu() for name, p in self.procs.items()},
            "harness": time.process_time(),
            "sched": wsc.schedstat(),
            "ticks": wsc.cpu_ticks(),
        }

    def _cpu_delta(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        known = 0.0
        for name, before in a["procs"].items():
            after = b["procs"].get(name)
            if before is not None and after is not None:
                out[name] = round(after - before, 3)
                known += after - before
        out["harness"] = round(b["harness"] - a["harness"], 3)
        known += b["harness"] - a["harness"]
        busy = sum(b["ticks"][c][0] - a["ticks"][c][0] for c in b["ticks"]) / wsc.CLK_TCK
        out["other"] = round(max(0.0, busy - known), 3)  # PostgreSQL, kernel, other tenants
        return out

    # --- triggers -------------------------------------------------------------------------

    def _key(self, system: str) -> tuple[int, int | None]:
        if system == "full":
            pk, version = self.docs.pop(0)
            return pk, version
        self.next_key += 1
        return self.next_key, None

    async def _direct(
        self, doc: int, version: int, pks: list[int], timeout: float = 60
    ) -> tuple[int, float]:
        token = secrets.token_hex(16)
        fields = [
            ("version", str(version)),
            ("text", "Giao chủ trì xử lý, báo cáo kết quả (bench)"),
            ("lead", f"u:{pks[0]}"),
            *[("informed", f"u:{pk}") for pk in pks[1:]],
            ("csrfmiddlewaretoken", token),
        ]
        return await wsc.http_request(
            self.ports["full"],
            "POST",
            f"/incoming/{doc}/direct/",
            headers={
                "Cookie": f"sessionid={self.data.leader_session}; csrftoken={token}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=urlencode(fields).encode(),
            timeout=timeout,
        )

    async def trigger(
        self,
        m: Measurement,
        system: str,
        key: int,
        version: int | None,
        users,
        n: int,
        timeout: float,
    ) -> None:
        """Send one event and record what the sending side saw."""
        event: dict[str, Any] = {"key": key}
        m.events.append(event)
        try:
            if system == "full" and users != "all":
                m.t0[key] = clock()
                pks = [self.data.user_pks[i] for i in users]
                status, seconds = await self._direct(key, version, pks, timeout)
                event.update(http_status=status, http_ms=round(seconds * 1000, 2))
                if status != 302:
                    self.problems.append(f"HTTP {status} on direct (N={n}, {m.scenario})")
            elif system == "full":
                pks = [self.data.user_pks[i] for i in range(n)]
                m.t0[key] = clock()
                future = self.procs["trigger"].send({"key": key, "users": pks})
                answer = await asyncio.wait_for(future, timeout)
                t0 = m.t0[key]
                event.update(
                    trigger_ms={
                        "stored": round((answer["t_stored"] - t0) * 1000, 1),
                        "committed_and_pushed": round((answer["t_end"] - t0) * 1000, 1),
                        "push_only": round((answer["t_end"] - answer["t_stored"]) * 1000, 1),
                    }
                )
            elif system in ("channels", "channels-loop"):
                if users == "all" and system == "channels":
                    groups = ["bench.all"]
                else:
                    indices = range(n) if users == "all" else users
                    groups = [f"bench.u.{u}" for u in indices]
                m.t0[key] = clock()
                answer = await asyncio.wait_for(
                    self.procs["channels-sender"].send({"key": key, "groups": groups}),
                    timeout,
                )
                event["sent_ms"] = round((answer["t_end"] - m.t0[key]) * 1000, 2)
            elif system == "websockets":
                m.t0[key] = clock()
                answer = await asyncio.wait_for(
                    self.procs["ws-server"].send({"key": key, "users": users}),
                    timeout,
                )
                event["sent_ms"] = round((answer["t_end"] - m.t0[key]) * 1000, 2)
            elif system == "redis":
                channels = ["bench.all"] if users == "all" else [f"bench.u.{u}" for u in users]
                m.t0[key] = clock()
                answer = await asyncio.wait_for(
                    self.procs["channels-sender"].send({"key": key, "redis": channels}),
                    timeout,
                )
                event["sent_ms"] = round((answer["t_end"] - m.t0[key]) * 1000, 2)
        except Exception as error:
            event["error"] = f"{type(error).__name__}: {error}"[:200]
            self.problems.append(f"trigger failed on {system} (N={n}, {m.scenario}): {error}")

    async def measure(self, level: int, rnd: int, scenario: Scenario, system: str) -> Measurement:
        m = Measurement(level, rnd, scenario.name, system)
        sockets_of = self.by_user[SOCKETS_OF[system]]
        all_sids = [s.sid for s in self.socks[SOCKETS_OF[system]]]
        # Generous: a slow product is a result, a timeout only says "more than this".
        recipients = len(all_sids) if scenario.users(level, 0) == "all" else 100
        timeout = self.args.event_timeout + 0.01 * recipients + 0.8 * scenario.events
        timeout = min(timeout, max(5.0, self.remaining() - 60))
        tasks = []
        receivers = self.procs["redis-receivers"]
        child_before = child_after = None
        if system == "redis":
            with contextlib.suppress(TimeoutError):
                child_before = (await receivers.request({"cmd": "stat"}, 30))["stat"]
        before = self._cpu_snapshot()
        start = clock()
        for e in range(scenario.events):
            await asyncio.sleep(max(0.0, start + e * scenario.spacing - clock()))
            users = scenario.users(level, e)
            key, version = self._key(system)
            if users == "all":
                sids = all_sids
            else:
                sids = [s.sid for u in users for s in sockets_of.get(u, [])]
            self.active[(SOCKETS_OF[system], key)] = m
            if system == "full":
                self.full_keys_by_level.setdefault(level, {})[key] = (
                    level if users == "all" else len(users)
                )
            m.expect(key, sids)
            tasks.append(
                asyncio.create_task(
                    self.trigger(m, system, key, version, users, level, timeout + 5)
                )
            )
        m.triggered()
        timed_out = False
        try:
            await asyncio.wait_for(m.done.wait(), timeout)
        except TimeoutError:
            timed_out = True
        t_done = clock()
        after = self._cpu_snapshot()
        if system == "redis":
            with contextlib.suppress(TimeoutError):
                child_after = (await receivers.request({"cmd": "stat"}, 30))["stat"]
        await asyncio.wait(tasks, timeout=max(1.0, min(60.0, self.remaining() - 45)))
        wall = t_done - start
        cpu = self._cpu_delta(before, after)
        core = wsc.busy_fraction(before["ticks"], after["ticks"])
        # The client core saturates when the harness ran or waited for the CPU (behind
        # PostgreSQL or another tenant on core 1) for more than 90 % of the window.
        run_s = (after["sched"][0] - before["sched"][0]) / 1e9
        wait_s = (after["sched"][1] - before["sched"][1]) / 1e9
        client_busy = round((run_s + wait_s) / wall, 3) if wall > 0 else 0.0
        if child_before and child_after:  # the receivers' own process, on the same core
            run_s += (child_after[0] - child_before[0]) / 1e9
            wait_s += (child_after[1] - child_before[1]) / 1e9
            child_busy = sum(b - a for a, b in zip(child_before, child_after, strict=True))
            client_busy = max(client_busy, round(child_busy / 1e9 / wall, 3) if wall else 0.0)
        saturated = client_busy > SATURATED
        m.record = {
            "level": level,
            "round": rnd,
            "scenario": scenario.name,
            "system": system,
            "events": m.events,
            "expected": len(m.expected),
            "received": len(m.latency),
            "missing": len(m.pending),
            "late": len(m.late),
            "late_ms": [round(x * 1000, 2) for x in m.late[:50]],
            "dups": m.dups,
            "unexpected": m.unexpected,
            "seq_dups": m.seq_dups,
            "seq_gaps": m.seq_gaps,
            "timed_out": timed_out,
            "open_sockets_after": sum(1 for x in self.socks[SOCKETS_OF[system]] if x.is_open)
            if system != "redis"
            else None,
            "wall_s": round(wall, 3),
            "cpu_s": cpu,
            "core_busy": core,
            "client_busy": client_busy,
            "client_run_s": round(run_s, 4),
            "client_runqueue_wait_s": round(wait_s, 4),
            "client_saturated": saturated,
            "latencies_ms": [round(x * 1000, 2) for x in m.latency.values()],
            "after_action_ms": self._after_action(m),
            "completion_ms": self._completions(m),
        }
        return m

    @staticmethod
    def _after_action(m: Measurement) -> list[float]:
        """Product only: receipt minus the action's own time (HTTP response, or the
        trigger's time to store the notices): roughly what commit + push + delivery took."""
        spent = {}
        for event in m.events:
            if "http_ms" in event:
                spent[event["key"]] = event["http_ms"]
            elif "trigger_ms" in event:
                spent[event["key"]] = event["trigger_ms"]["stored"]
        return [
            round(latency * 1000 - spent[key], 2)
            for (_sid, key), latency in m.latency.items()
            if key in spent
        ]

    @staticmethod
    def _completions(m: Measurement) -> list[float | None]:
        last: dict[int, float] = {}
        for (_sid, key), latency in m.latency.items():
            last[key] = max(latency, last.get(key, 0.0))
        keys = sorted(m.t0)
        missing_keys = {key for _sid, key in m.pending}
        return [
            None if key in missing_keys else round(last.get(key, 0.0) * 1000, 2) for key in keys
        ]

    # --- levels ---------------------------------------------------------------------------

    async def seqs_now(self) -> dict[int, int]:
        from realtime.models import NoticeCounter

        def read() -> dict[int, int]:
            index = {pk: i for i, pk in enumerate(self.data.user_pks)}
            return {
                index[uid]: seq
                for uid, seq in NoticeCounter.objects.values_list("user_id", "last_seq")
                if uid in index
            }

        return await asyncio.to_thread(read)

    async def warm_up(self) -> None:
        """Import and connect everything once, then read the processes' RSS baseline."""
        for system in WS_SYSTEMS:
            path, headers = self._headers(system, -1)
            sock, _o, _r = await wsc.open_socket(
                system=system,
                user=-1,
                tab=0,
                sid=0,
                port=self.ports[system],
                path=path,
                headers=headers,
                last_seq=0,
                sink=lambda *a: None,
            )
            sock.send_frame(0x8, (1000).to_bytes(2))
            sock.abort()
        pk, version = self.docs.pop(0)
        status, _ = await self._direct(pk, version, [self.data.warm_pk])
        if status != 302:
            raise RuntimeError(f"warm-up direction answered {status}")
        pk, _version = self.docs.pop(0)
        await asyncio.wait_for(
            self.procs["trigger"].send({"key": pk, "users": [self.data.warm_pk]}), 60
        )
        await asyncio.wait_for(
            self.procs["channels-sender"].send({"key": 1, "groups": ["bench.u.-1"]}), 30
        )
        await asyncio.wait_for(self.procs["ws-server"].send({"key": 2, "users": [-1]}), 30)
        await asyncio.sleep(1.5)
        self.rss_base = {name: p.rss_kb() for name, p in self.procs.items()}

    def ramp_estimate(self, sockets: int) -> float:
        """Seconds to ramp ``sockets`` more to every system, at the rates seen so far."""
        full = self.seen_rate.get("full") or self.args.ramp_rate
        floors = min(  # the floors ramp at the same time
            self.seen_rate.get(s) or self.args.floor_ramp_rate
            for s in ("channels", "websockets", "redis")
        )
        return sockets * (1 / full + 1 / floors) + 15

    def reserve_after(self, n: int) -> float:
        """Seconds to keep for the levels after ``n``: their ramps and 1.5 rounds each."""
        later = [x for x in self.args.levels if x > n]
        reserve, previous = 0.0, n
        for level in later:
            reserve += self.ramp_estimate(level - previous) + 1.5 * self.round_estimate(level)
            previous = level
        return reserve

    def round_estimate(self, n: int) -> float:
        seen = self.round_seconds.get(n)
        if seen:
            return seen
        known = sorted(self.round_seconds.items())
        if known:  # scale the last level's round by the growth in users (lists of users)
            level, seconds = known[-1]
            return seconds * max(1.0, (n / level) ** 0.4)
        return 40.0

    async def run_level(self, n: int, previous: int) -> dict[str, Any] | None:
        specs = [(u, 0) for u in range(previous, n)]
        if previous == 0:
            specs[1:1] = [(0, 1), (0, 2)]  # user 0: three tabs
        estimate = self.ramp_estimate(len(specs))
        if self.remaining() < estimate + 75:
            self.problems.append(
                f"N={n} skipped: {self.remaining():.0f}s left, "
                f"the ramp alone needs ~{estimate:.0f}s"
            )
            return None
        level: dict[str, Any] = {"n": n, "ramp": {}, "rss": {}, "measurements": []}
        self.levels.append(level)  # kept even if the time limit cuts this level short
        from bench.notices_setup import add_users

        level["users_created_s"] = await asyncio.to_thread(add_users, self.data, n)
        level["users_in_database"] = len(self.data.user_pks) + 3  # + leader, clerk, warm-up
        level["rss_before_ramp_kb"] = {name: p.rss_kb() for name, p in self.procs.items()}
        seqs = await self.seqs_now()
        log(f"N={n}: ramping {len(specs)} sockets to the product at {self.args.ramp_rate}/s")
        level["ramp"]["full"] = await self.ramp("full", specs, self.args.ramp_rate, seqs)
        failed = level["ramp"]["full"].pop("failed_specs")
        if failed:  # as browsers do: the rejected reconnect once, gently
            log(f"N={n}: {len(failed)} product handshakes failed; retrying them once")
            seqs = await self.seqs_now()
            level["ramp"]["full_retry"] = await self.ramp("full", failed, 10, seqs)
            level["ramp"]["full_retry"].pop("failed_specs")
        log(f"N={n}: ramping {len(specs)} to each floor at {self.args.floor_ramp_rate}/s")
        floors = ("channels", "websockets", "redis")  # at the same time: they share no server
        results = await asyncio.gather(
            *(self.ramp(system, specs, self.args.floor_ramp_rate, {}) for system in floors)
        )
        for result in results:
            result.pop("failed_specs")
        level["ramp"].update(dict(zip(floors, results, strict=True)))
        for system, ramp in level["ramp"].items():
            if ramp["connected"] >= 50:
                self.seen_rate[system] = ramp["rate_achieved_per_s"]
        await asyncio.sleep(1.5)
        level["held_after_ramp"] = await self.held()
        for name, proc in self.procs.items():
            rss = proc.rss_kb()
            base = self.rss_base.get(name)
            level["rss"][name] = {"base_kb": base, "now_kb": rss}
            system = {
                "daphne-full": "full",
                "daphne-channels": "channels",
                "ws-server": "websockets",
            }.get(name)
            if system and rss and base:
                held = level["held_after_ramp"][system]
                level["rss"][name]["kb_per_connection"] = round((rss - base) / max(held, 1), 1)
                before = level["rss_before_ramp_kb"].get(name)
                new = len(specs)
                if before and new:
                    level["rss"][name]["kb_per_new_connection"] = round((rss - before) / new, 1)
        for system, ramp in level["ramp"].items():
            log(
                f"N={n}: {system}: {ramp['connected']}/{ramp['requested']} connected "
                f"({ramp['rate_achieved_per_s']}/s), failures {ramp['failures'] or 0}"
            )
        for rnd in range(self.args.rounds):
            round_start = clock()
            if rnd and self.remaining() < self.reserve_after(n) + self.round_estimate(n) + 45:
                why = (
                    "the rest of the time budget is kept for the larger levels"
                    if n != self.args.levels[-1]
                    else "another round would not fit in the time budget"
                )
                self.problems.append(f"N={n}: {rnd} round(s) of {self.args.rounds}; {why}")
                break
            needed = sum(s.events for s in SCENARIOS) - len(self.docs)
            if needed > 0:
                from bench.notices_setup import add_documents

                await asyncio.to_thread(add_documents, self.data, needed)
            for s_index, scenario in enumerate(SCENARIOS):
                systems = ["full", "channels", "websockets", "redis"]
                if scenario.name == "announce":
                    systems.append("channels-loop")
                shift = (rnd + s_index) % len(systems)
                systems = systems[shift:] + systems[:shift]
                for system in systems:
                    if self.remaining() < 75:
                        self.problems.append(
                            f"N={n} round {rnd + 1}: stopped at {scenario.name}/{system}, "
                            "time budget exhausted"
                        )
                        return await self._close_level(level)
                    if system == "full" and len(self.docs) < scenario.events:
                        self.problems.append("ran out of prepared documents")
                        continue
                    m = await self.measure(n, rnd, scenario, system)
                    level["measurements"].append(m.record)
                    r = m.record
                    p95 = report.pct([x for x in r["latencies_ms"]], 95)
                    log(
                        f"N={n} r{rnd + 1} {scenario.name:9s} {system:13s} "
                        f"recv {r['received']}/{r['expected']} p95 "
                        f"{p95 if p95 is None else round(p95, 1)} ms "
                        f"wall {r['wall_s']}s client {r['client_busy']:.2f}"
                        + (" SATURATED" if r["client_saturated"] else "")
                        + (" TIMEOUT" if r["timed_out"] else "")
                    )
                    await asyncio.sleep(self.args.gap)
            self.round_seconds[n] = max(self.round_seconds.get(n, 0.0), clock() - round_start)
        return await self._close_level(level)

    async def _close_level(self, level: dict[str, Any]) -> dict[str, Any]:
        level["held_at_end"] = await self.held()
        level["closed"] = {s: self.close_codes(s) for s in WS_SYSTEMS}
        level["rss_at_end_kb"] = {name: p.rss_kb() for name, p in self.procs.items()}
        return level

    async def db_check(self, n: int) -> dict[str, Any]:
        """Compare the notices stored for each product event with what was expected."""
        from django.db.models import Count

        from realtime.models import Notice

        expected = self.full_keys_by_level.get(n, {})

        def read() -> dict[int, int]:
            rows = (
                Notice.objects.filter(document_id__in=list(expected))
                .exclude(recipient_id=self.data.leader_pk)  # "to direct", from the setup
                .values("document_id")
                .annotate(n=Count("id"))
            )
            return {row["document_id"]: row["n"] for row in rows}

        stored = await asyncio.to_thread(read)
        short = {k: (stored.get(k, 0), v) for k, v in expected.items() if stored.get(k, 0) != v}
        return {
            "events": len(expected),
            "notices_expected": sum(expected.values()),
            "notices_stored": sum(stored.values()),
            "events_with_wrong_count": len(short),
            "examples": {str(k): v for k, v in list(short.items())[:10]},
        }

    async def sample(self) -> None:
        """Every 2 s: CPU seconds of each process, open sockets, Redis's view of clients."""
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url, socket_timeout=5)
        while True:
            point: dict[str, Any] = {"t": round(clock() - self.t_start, 1)}
            point["cpu"] = {name: p.cpu() for name, p in self.procs.items()}
            point["open"] = {s: sum(1 for x in self.socks[s] if x.is_open) for s in WS_SYSTEMS}
            point["busy"] = wsc.cpu_ticks()
            with contextlib.suppress(Exception):
                info = await client.info()
                point["redis"] = {
                    k: info.get(k)
                    for k in (
                        "connected_clients",
                        "pubsub_channels",
                        "client_recent_max_output_buffer",
                        "total_commands_processed",
                        "evicted_clients",
                        "rejected_connections",
                    )
                }
            self.timeline.append(point)
            await asyncio.sleep(2)

    async def run(self) -> None:
        await self.start_servers()
        self.sampler = asyncio.create_task(self.sample())
        await self.warm_up()
        previous = 0
        for n in self.args.levels:
            level = await self.run_level(n, previous)
            if level is None:
                break
            level["complete"] = True
            level["db_check"] = await self.db_check(n)
            if level["db_check"]["events_with_wrong_count"]:
                self.problems.append(
                    f"N={n}: {level['db_check']['events_with_wrong_count']} product events "
                    "stored a different number of notices than expected"
                )
            previous = n
            if self.remaining() < 120:
                if n != self.args.levels[-1]:
                    self.problems.append(f"stopped after N={n}: time budget")
                break

    async def shutdown(self) -> dict[str, Any]:
        logs = {}
        if self.sampler:
            self.sampler.cancel()
        for system in WS_SYSTEMS:
            for sock in self.socks[system]:
                sock.abort()
        for name, proc in self.procs.items():
            text = proc.tail(200_000)
            lines = text.splitlines()
            if self.args.keep_logs:
                Path(self.args.keep_logs).mkdir(parents=True, exist_ok=True)
                shutil.copy(proc.logfile, Path(self.args.keep_logs) / proc.logfile.name)
            lines = [line for line in lines if "took too long to shut down" not in line]
            logs[name] = {
                "warnings": sum(" WARNING " in line for line in lines),
                "errors": sum(
                    (" ERROR " in line) or ("Traceback" in line) or (" CRITICAL " in line)
                    for line in lines
                ),
                "tail": "\n".join(lines[-15:]),
            }
            await proc.stop()
        return logs


# --- machine, database, redis ---------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    from importlib import metadata

    from bench.machine import cpu_model, memory_gb

    cpu = cpu_model()
    versions = {}
    for package in ("django", "channels", "channels-redis", "daphne", "redis", "websockets"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    pg = run(
        ["psql", "-h", PG["host"], "-U", PG["user"], "-Atc", "show server_version"],
        timeout=20,
        check=False,
    ).stdout.strip()
    redis_version = run(["redis-server", "--version"], timeout=10, check=False).stdout.strip()
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "ram_gb": memory_gb(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "postgresql": pg,
        "redis": redis_version,
        "loadavg_at_start": os.getloadavg(),
    }


def busy_neighbours() -> list[str]:
    """The processes using CPU when the run starts (this machine is shared)."""
    out = run(
        ["ps", "-eo", "pid,pcpu,etime,comm", "--sort=-pcpu", "--no-headers"],
        timeout=10,
        check=False,
    ).stdout.splitlines()
    return [line.strip() for line in out[:8]]


def create_database(env: dict[str, str]) -> dict[str, float]:
    timings = {}
    t = time.perf_counter()
    conn = ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    run(["dropdb", *conn, "--if-exists", "--force", DB_NAME], timeout=60)
    run(["createdb", *conn, DB_NAME], timeout=60)
    timings["createdb_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], timeout=240, env=env)
    timings["migrate_s"] = round(time.perf_counter() - t, 2)
    return timings


def drop_database() -> None:
    conn = ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    result = run(["dropdb", *conn, "--if-exists", "--force", DB_NAME], timeout=120, check=False)
    if result.returncode:
        log(f"dropdb failed: {result.stderr.strip()}")


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str, int]:
    port = free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [
            "taskset",
            "-c",
            SERVER_CORE,
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxclients",
            "19000",
            "--dir",
            str(tmp),
        ],
        stdout=(tmp / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"redis://127.0.0.1:{port}/0", port
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not start")


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="100,1000,5000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=690, help="seconds for everything")
    parser.add_argument("--ramp-rate", type=float, default=200, help="product sockets per s")
    parser.add_argument("--floor-ramp-rate", type=float, default=500)
    parser.add_argument("--inflight", type=int, default=100, help="floor handshakes in flight")
    parser.add_argument(
        "--product-inflight",
        type=int,
        default=50,
        help="product handshakes in flight (daphne rejects a handshake not accepted in 5 s)",
    )
    parser.add_argument("--connect-timeout", type=float, default=30)
    parser.add_argument("--event-timeout", type=float, default=20)
    parser.add_argument("--gap", type=float, default=0.3, help="pause between measurements")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--docs", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--quick", action="store_true", help="N=20, one round; no docs update")
    parser.add_argument("--no-docs", action="store_true", help="do not touch PERFORMANCE.md")
    parser.add_argument("--keep-logs", help="copy the servers' logs into this directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.rounds, args.no_docs = "20", 1, True
        args.budget = min(args.budget, 240)
    args.levels = [int(x) for x in str(args.levels).split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_begin = time.monotonic()
    started = datetime.now(UTC)
    limits = raise_nofile()
    with contextlib.suppress(OSError):
        if os.sched_getaffinity(0) != {CLIENT_CORE} and os.cpu_count() and os.cpu_count() > 1:
            os.sched_setaffinity(0, {CLIENT_CORE})  # as `taskset -c 1` would
    info = machine_info()
    info["affinity"] = sorted(os.sched_getaffinity(0))
    info["nofile"] = limits
    info["busy_processes_at_start"] = busy_neighbours()
    tmp = Path(tempfile.mkdtemp(prefix="eoffice-bench-notices-"))
    redis_process, redis_url, _redis_port = start_redis(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW"))}
    env.update(
        {
            "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DEBUG": "0",
            "HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EOFFICE_VAR_DIR": str(tmp / "var"),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "eoffice.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    os.environ.update(env)
    result: dict[str, Any] = {
        "part": "notices",
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": info,
        "config": {
            "levels": args.levels,
            "rounds": args.rounds,
            "budget_s": args.budget,
            "ramp_rate_per_s": args.ramp_rate,
            "floor_ramp_rate_per_s": args.floor_ramp_rate,
            "inflight_handshakes_floors": args.inflight,
            "inflight_handshakes_product": args.product_inflight,
            "scenarios": {s.name: s.what for s in SCENARIOS},
            "client_saturation_threshold": SATURATED,
            "redis": f"private redis-server on {redis_url}, pinned to core {SERVER_CORE}",
            "database": f"{DB_NAME} on 127.0.0.1 (PostgreSQL, shared server)",
            "conn_max_age": os.environ.get("DATABASE_CONN_MAX_AGE", "0"),
            "database_pool_size": os.environ.get("DATABASE_POOL_SIZE", "10"),
        },
        "problems": [],
    }
    bench = None
    status = 1
    try:
        log(f"database {DB_NAME}: create and migrate")
        result["setup"] = create_database(env)
        import django

        django.setup()
        from bench.notices_setup import create_data

        data = create_data(2)
        from django.db import connections

        connections.close_all()
        bench = Bench(args, data, env, tmp, redis_url)
        remaining = args.budget - (time.monotonic() - t_begin)
        bench.args.budget = remaining
        log(f"setup done in {time.monotonic() - t_begin:.0f}s; {remaining:.0f}s left")

        async def go() -> dict[str, Any]:
            limit = max(30.0, remaining - 20)
            started = time.monotonic()
            try:
                await asyncio.wait_for(bench.run(), limit)
            except TimeoutError:
                if time.monotonic() - started >= limit - 1:
                    log("hard time limit reached")
                    bench.problems.append("hard time limit reached; results are partial")
                else:
                    log(traceback.format_exc())
                    bench.problems.append("harness timeout: " + traceback.format_exc()[-1500:])
            except Exception:
                log(traceback.format_exc())
                bench.problems.append("harness error: " + traceback.format_exc()[-1500:])
            finally:
                logs = await bench.shutdown()
            return logs

        result["server_logs"] = asyncio.run(go())
        result["commands"] = bench.commands
        result["timeline"] = bench.timeline
        result["setup"].update(data.timings)
        result["levels"] = bench.levels
        result["stray_frames"] = dict(bench.stray)
        result["problems"] = bench.problems
        status = 0 if bench.levels else 1
    except Exception:
        result["problems"].append("fatal: " + traceback.format_exc()[-3000:])
        log(traceback.format_exc())
    finally:
        drop_database()
        redis_process.terminate()
        try:
            redis_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            redis_process.kill()
        redis_log = tmp / "redis.log"
        if redis_log.exists():
            lines = redis_log.read_text(errors="replace").splitlines()
            result["redis_log"] = {
                "closed_for_output_buffer": sum("output buffer" in line for line in lines),
                "warnings": [line for line in lines if " # " in line][-20:],
            }
            if args.keep_logs:
                shutil.copy(redis_log, Path(args.keep_logs) / "redis.log")
        shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    result["duration_s"] = round(time.monotonic() - t_begin, 1)
    for problem in result["problems"]:
        log(f"problem: {problem[:300]}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{result['date']}-notices" + ("-quick" if args.quick else "")
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")  # raw first
    try:
        result["summary"] = report.summarise(result)
        json_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        markdown = report.markdown(result, stem)
    except Exception:
        log("report failed; the raw JSON is written:\n" + traceback.format_exc())
        return 1
    (out / f"{stem}.md").write_text(markdown)
    if not args.no_docs:
        report.update_performance_doc(Path(args.docs), markdown, stem)
    log(f"wrote {out / stem}.json and .md in {result['duration_s']}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
