"""Settings for eoffice, read from environment variables (see README, "Configuration").

With no configuration at all eoffice runs embedded: SQLite and uploaded files under
``var/``, the in-memory channel layer, DEBUG on and a generated secret key. Setting
``SECRET_KEY`` switches to production defaults (DEBUG off, HTTPS-only cookies, HSTS);
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and the Redis channel layer.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from eoffice.env import env_bool, env_int, env_int_list, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("EOFFICE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    """A key kept in var/ so that sessions survive a restart of the demo."""
    key_file = VAR_DIR / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = env_str("SECRET_KEY")
if "SECRET_KEY" in os.environ and not SECRET_KEY.strip():
    # An empty line in an env file must not silently turn the embedded (DEBUG) mode on.
    raise ImproperlyConfigured("SECRET_KEY is set but empty")
EMBEDDED = not SECRET_KEY
if EMBEDDED:
    SECRET_KEY = _embedded_secret_key()
DEBUG = env_bool("DEBUG", default=EMBEDDED)
HTTPS = env_bool("HTTPS", default=not DEBUG)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "guardian",
    "eoffice",
    "documents",
    "documents.signing",
    "realtime",
    "routing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "eoffice.urls"
ASGI_APPLICATION = "eoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eoffice.context_processors.layout",
                "realtime.context_processors.notices",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'eoffice.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # SQLite ignores SELECT ... FOR UPDATE: IMMEDIATE transactions take the write lock at
        # BEGIN, so counters and state checks are serialised between processes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: the tests run several threads and processes against it.
    test_name = str(VAR_DIR / f"test-eoffice-{os.getpid()}.sqlite3")
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: a LIMIT-ed list walk is costed as if it read the whole register, which
        # crosses the JIT thresholds, and compiling then took seconds for a query that
        # runs in milliseconds (bench/lists.py search, docs/PERFORMANCE.md).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        # Under ASGI each request borrows a connection from the process's pool (Django's
        # own, psycopg_pool) instead of opening one: opening cost a third of a direction's
        # 47 ms through daphne (docs/PERFORMANCE.md). Persistent connections are the
        # alternative Django advises against under ASGI; the two do not mix.
        _pool_size = env_int("DATABASE_POOL_SIZE", 10, minimum=0)
        if _pool_size and DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured(
                "DATABASE_POOL_SIZE and DATABASE_CONN_MAX_AGE cannot both be set: set "
                "DATABASE_POOL_SIZE=0 to use persistent connections instead of the pool."
            )
        if _pool_size:
            options["pool"] = {
                "min_size": min(2, _pool_size),
                "max_size": _pool_size,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
            }
    test_name = f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
# One test database per test run, so that runs side by side (CI beside a developer's) never
# share one.
DATABASES["default"]["TEST"] = {"NAME": test_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # One Redis connection per process, no idle timeout (TRAPS.md); what it loses
            # while Redis is away is replayed from stored notices.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # The prefix of its channel names: eoffice instances sharing one Redis keep
            # apart by it (and so do the test suite's parallel workers).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL}],
                "prefix": env_str("REDIS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Authentication -------------------------------------------------------------
AUTH_USER_MODEL = "eoffice.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_ANONYMOUS_USER_NAME = None
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["eoffice.formats"]
# Off: with it on, every integer a template prints is grouped ("1.234"), ids in data
# attributes, hidden inputs and page links included, and the page then follows document 1.
# Counts meant for people are grouped explicitly with ``intcomma``.
USE_THOUSAND_SEPARATOR = False

# --- Files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "files"  # never served directly: downloads go through a checked view
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    # Static files are read by the web server: world-readable, unlike uploads.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
EOFFICE_MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Digital signatures (documents.signing, issue 7) ---------------------------------
# Server-held PKCS#12 keys, their passphrase files and signature/seal images: outside the
# code and the web root. Every certificate file in the trust directory is a trust anchor.
EOFFICE_SIGNING_KEY_DIR = Path(env_str("SIGNING_KEY_DIR", str(VAR_DIR / "keys")))
EOFFICE_SIGNING_TRUST_DIR = Path(
    env_str("SIGNING_TRUST_DIR", str(EOFFICE_SIGNING_KEY_DIR / "trust"))
)
EOFFICE_SIGNING_TSA_URL = env_str("SIGNING_TSA_URL")
EOFFICE_SIGNING_ALLOW_FETCHING = env_bool("SIGNING_ALLOW_FETCHING", default=False)

# --- Security ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the attachment view alone allows its own origin (PDF preview)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

# --- Business settings -----------------------------------------------------------------
# Due-soon window for the deadline badge of "Việc cần xử lý" (calendar days, today included).
EOFFICE_DUE_SOON_DAYS = env_int("DUE_SOON_DAYS", 2, minimum=0)
EOFFICE_PAGE_SIZE = env_int("PAGE_SIZE", 25, minimum=5)
# Lists count at most this many rows (a COUNT over a whole register is slow at scale);
# past it a list says "more than N" and its "Next" links still reach every page (keyset).
EOFFICE_COUNT_CAP = env_int("COUNT_CAP", 1_000, minimum=100)
# Days before a deadline on which lead handlers are reminded (the day itself always is).
EOFFICE_REMINDER_DAYS = env_int_list("REMINDER_DAYS", [2])
# XLSX register exports of more rows than this are written in the background (a job with a
# progress page) rather than during the request; "thread" runs jobs in a thread of the web
# process, "inline" at once in the requesting thread (tests).
EOFFICE_EXPORT_INLINE_ROWS = env_int("EXPORT_INLINE_ROWS", 5_000, minimum=0)
EOFFICE_EXPORT_RUNNER = env_str("EXPORT_RUNNER", "thread")
if EOFFICE_EXPORT_RUNNER not in ("thread", "inline"):
    raise ImproperlyConfigured(
        f"EXPORT_RUNNER={EOFFICE_EXPORT_RUNNER!r}: expected thread or inline"
    )

# --- E-mail (the daily digest of unread notices) ----------------------------------------
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": {}}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", default=False),
        "timeout": 30,
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "eoffice <eoffice@localhost>")
# Links in e-mails have no request to take the host from.
EOFFICE_BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
