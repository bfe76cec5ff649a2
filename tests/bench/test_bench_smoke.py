"""Each benchmark of issue 5, tiny, so that the harness never rots (issue 5, item 6).

Nothing here asserts a speed: only that every part runs end to end and writes its results.
They need PostgreSQL (the benchmarks run against it only) and, for the notices, Redis.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: set DATABASE_URL (CI always does)",
)


def _run(args: list[str], timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture
def bench_database_url():
    parts = urlsplit(DATABASE_URL)
    name = f"eoffice_bench_smoke_{os.getpid()}"
    url = parts._replace(path=f"/{name}").geturl()
    yield url
    host = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    user = ["-U", parts.username] if parts.username else []
    subprocess.run(["dropdb", *host, *user, "--if-exists", "--force", name], check=False)


def test_lists_and_search_at_tiny_scale(bench_database_url, tmp_path):
    _run(
        [
            "bench/generate.py",
            "--url",
            bench_database_url,
            "--documents",
            "2000",
            "--users",
            "100",
            "--departments",
            "5",
            "--years",
            "2",
            "--reset",
        ],
        timeout=600,
    )
    for part in ("lists", "search"):
        _run(
            [
                "bench/lists.py",
                part,
                "--smoke",
                "--no-report",
                "--url",
                bench_database_url,
                "--out",
                str(tmp_path),
                "--budget",
                "120",
            ],
            timeout=600,
        )
    (lists,) = tmp_path.glob("*-lists.json")
    payload = json.loads(lists.read_text())
    assert {r["request"] for r in payload["in_process"]} >= {
        "todo_page1",
        "register_page1",
        "register_filtered",
        "register_deep",
        "document",
        "unread_count",
    }
    assert all(r["status"] == 200 for r in payload["in_process"])
    deep = [r for r in payload["in_process"] if r["request"] == "register_deep"]
    assert any("after=" in r["path"] for r in deep)  # reached by the "Next" link (keyset)
    (search,) = tmp_path.glob("*-search.json")
    assert all(r["status"] == 200 for r in json.loads(search.read_text())["results"])


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or not shutil.which("redis-server"),
    reason="needs Redis: set REDIS_URL, with redis-server installed",
)
def test_notices_at_tiny_scale(tmp_path):
    _run(["-m", "bench.notices", "--quick", "--out", str(tmp_path)], timeout=400)
    (result,) = tmp_path.glob("*-notices-quick.json")
    payload = json.loads(result.read_text())
    assert payload["levels"]


def test_numbering_at_tiny_scale(bench_database_url, tmp_path):
    """2 workers x 5 registrations per system, on PostgreSQL and on the embedded SQLite."""
    _run(
        [
            "bench/numbering.py",
            "--smoke",
            "--no-docs",
            "--url",
            bench_database_url,
            "--out",
            str(tmp_path),
        ],
        timeout=400,
    )
    (result,) = tmp_path.glob("*-numbering-smoke.json")
    payload = json.loads(result.read_text())
    assert set(payload["engines"]) == {"postgresql", "sqlite"}
    for engine in payload["engines"].values():
        rows = engine["table"]
        assert {r["system"] for r in rows} == {"product", "register_incoming", "floor"}
        for row in rows:
            assert row["committed"] > 0
            assert (row["duplicates"], row["gaps"], row["errors"]) == (0, 0, 0)
            assert row["checks_ok"]
        register = engine["register_check"]
        assert register["ok"] and register["duplicates"] == register["gaps"] == 0
