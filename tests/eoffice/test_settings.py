"""Settings come from the environment, fail loudly, and pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from eoffice.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_parsers(monkeypatch, tmp_path):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("COUNT", "12")
    monkeypatch.setenv("HOSTS", "a.gov.vn, b.gov.vn,")
    assert env_bool("FLAG") is True
    assert env_int("COUNT", 1) == 12
    assert env_list("HOSTS") == ["a.gov.vn", "b.gov.vn"]
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    assert env_str("TOKEN") == "s3cret"


@pytest.mark.parametrize(
    ("name", "value", "parser"),
    [
        ("FLAG", "maybe", lambda: env_bool("FLAG")),
        ("COUNT", "ten", lambda: env_int("COUNT", 1)),
        ("COUNT", "0", lambda: env_int("COUNT", 1, minimum=1)),
    ],
)
def test_bad_values_fail_loudly(monkeypatch, name, value, parser):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        parser()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "HTTPS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-and-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="eoffice.example.gov.vn",
        EOFFICE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_default_is_sqlite_and_in_memory_layer(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], "
        "settings.CHANNEL_LAYERS['default']['BACKEND'], settings.DEBUG)",
        EOFFICE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3 channels.layers.InMemoryChannelLayer True" in result.stdout
    assert (tmp_path / "secret-key").exists()


def test_urls_switch_to_postgresql_and_redis(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], "
        "settings.CHANNEL_LAYERS['default']['BACKEND'], "
        "settings.DATABASES['default']['OPTIONS']['pool'])",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EOFFICE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql channels_redis.pubsub.RedisPubSubChannelLayer" in result.stdout
    # Each process borrows connections from a pool (Django's own, psycopg_pool).
    assert "'max_size': 10" in result.stdout


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings alone with ``env``: quicker than a manage.py command."""
    return subprocess.run(
        [sys.executable, "-c", "import eoffice.settings as s; print(s.DATABASES['default'])"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_pool_is_sized_or_turned_off_for_persistent_connections(tmp_path):
    url = "postgres://u@127.0.0.1:5432/x"
    common = {"DATABASE_URL": url, "EOFFICE_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 50}
    sized = _settings(**common, DATABASE_POOL_SIZE="4")
    assert "'max_size': 4" in sized.stdout, sized.stderr
    persistent = _settings(**common, DATABASE_POOL_SIZE="0", DATABASE_CONN_MAX_AGE="60")
    assert "'pool'" not in persistent.stdout and "'CONN_MAX_AGE': 60" in persistent.stdout
    both = _settings(**common, DATABASE_CONN_MAX_AGE="60")
    assert both.returncode != 0
    assert "DATABASE_POOL_SIZE=0" in both.stderr


def test_empty_secret_key_is_refused(tmp_path):
    result = _manage("check", SECRET_KEY="", EOFFICE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is set but empty" in result.stderr


def test_ids_print_plain_and_counts_grouped_in_vietnamese():
    """A page printing document 1234 as "1.234" would follow document 1 (data attributes,
    hidden inputs, page links); counts for people are grouped on purpose with intcomma."""
    from django.template import engines
    from django.utils import translation

    template = engines["django"].from_string(
        '{% load humanize %}<p data-id="{{ n }}">{{ n|intcomma }}</p>'
    )
    with translation.override("vi"):
        assert template.render({"n": 1234}) == '<p data-id="1234">1.234</p>'
