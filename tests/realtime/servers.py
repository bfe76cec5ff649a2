"""Real processes for the multi-process tests: daphne serving the app, a Redis of our own."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def redis_server() -> Iterator[RedisProcess]:
    server = RedisProcess(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RedisProcess:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: _port_open(self.port), f"redis on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        _wait_for(lambda: not _port_open(self.port), f"redis on {self.port} stopping")


def database_url() -> str:
    """The URL of the test database this run created (daphne must use the same one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextlib.contextmanager
def daphne(redis_url: str, tmp_path: Path) -> Iterator[Daphne]:
    server = Daphne(free_port(), redis_url, tmp_path)
    try:
        yield server
    finally:
        server.stop()


class Daphne:
    def __init__(self, port: int, redis_url: str, tmp_path: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            {
                "DATABASE_URL": database_url(),
                "REDIS_URL": redis_url,
                # Sessions are signed: the servers must share the test run's key.
                "SECRET_KEY": settings.SECRET_KEY,
                "DEBUG": "0",
                "HTTPS": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "EOFFICE_VAR_DIR": str(tmp_path),
                "LOG_LEVEL": "WARNING",
            }
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.log = tmp_path / f"daphne-{port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-e",
                f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
                "eoffice.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        _wait_for(self._healthy, f"daphne on {port}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"daphne exited: {self.log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def post(self, path: str, session_cookie: str, data: dict[str, object]) -> int:
        """POST a form as a logged-in user; returns the status (redirects not followed)."""
        token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret is accepted
        fields = [(k, str(v)) for k, v in data.items()] + [("csrfmiddlewaretoken", token)]
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            self.base + path,
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={
                "Cookie": f"sessionid={session_cookie}; csrftoken={token}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"


def hello(last_seq: int) -> str:
    return json.dumps({"type": "hello", "last_seq": last_seq})
