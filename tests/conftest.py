from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from tests.builders import People, make_people

POSTGRES = bool(os.environ.get("DATABASE_URL"))
REDIS = bool(os.environ.get("REDIS_URL"))

requires_postgres = pytest.mark.skipif(
    not POSTGRES, reason="needs PostgreSQL: set DATABASE_URL (CI always does)"
)


def pytest_configure(config):
    """Parallel workers (pytest-xdist) share one Redis: each keeps its channel names apart,
    in this process and in the servers its tests start (they read REDIS_PREFIX)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and REDIS:
        from django.conf import settings

        os.environ["REDIS_PREFIX"] = f"test-{worker}"
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["REDIS_PREFIX"]


def pytest_unconfigure(config):
    """Django deletes the SQLite test database but not its WAL files: remove them too."""
    from django.conf import settings

    name = str(settings.DATABASES["default"].get("TEST", {}).get("NAME") or "")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items):
    # In CI nothing that needs PostgreSQL or Redis may be skipped.
    if os.environ.get("CI") and not (POSTGRES and REDIS):
        raise pytest.UsageError("CI must set DATABASE_URL and REDIS_URL")


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections(django_db_setup, django_db_blocker):
    """Threads of consumer tests and stopped servers may leave PostgreSQL sessions behind;
    close them so that the test database can be dropped at the end of the run."""
    yield
    if not POSTGRES:
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _vietnamese():
    """Every test starts in the default language; a request may have switched the thread's."""
    with translation.override("vi"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Fast by default; PBKDF2 stays available for users that a separate server process
    # (with the production hasher list) must be able to log in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "files"},
        },
    }


@pytest.fixture(autouse=True)
def _signing_dirs(settings, tmp_path):
    """Signing keys and trust anchors (documents.signing) of each test in its own
    directory, never the installation's; no timestamp authority unless a test sets one."""
    settings.EOFFICE_SIGNING_KEY_DIR = tmp_path / "keys"
    settings.EOFFICE_SIGNING_TRUST_DIR = tmp_path / "keys" / "trust"
    settings.EOFFICE_SIGNING_TSA_URL = ""
    settings.EOFFICE_SIGNING_ALLOW_FETCHING = False


@pytest.fixture
def people(db) -> People:
    return make_people()


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login
