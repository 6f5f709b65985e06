"""One settings module, configured by environment variables.

ACCORD_ENV selects the mode: ``development`` (default; ``make run``), ``test`` or
``production``. In development the secrets are generated once into ``var/``; in production the
process refuses to start without them (see docs/operations.md).
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACCORD_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# pytest sets PYTEST_VERSION while it runs: tests default to the test mode.
ACCORD_ENV = os.environ.get(
    "ACCORD_ENV", "test" if os.environ.get("PYTEST_VERSION") else "development"
)
if ACCORD_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"ACCORD_ENV must be development, test or production, not {ACCORD_ENV!r}"
    )
PRODUCTION = ACCORD_ENV == "production"
DEBUG = os.environ.get("ACCORD_DEBUG", "0" if PRODUCTION else "1") == "1"


def _dev_secret(name: str, make) -> str:
    """A secret from the environment, or (outside production) one generated once into var/."""
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production; refusing to start.")
    path = VAR_DIR / name.lower()
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _dev_secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Keys for personal data at rest: "kid:base64key,kid:base64key"; the first one encrypts, all decrypt.
ACCORD_DATA_KEYS = _dev_secret(
    "ACCORD_DATA_KEYS", lambda: "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
)
# Key for blind indexes (HMAC) that let us look up encrypted values by equality.
ACCORD_INDEX_KEY = _dev_secret(
    "ACCORD_INDEX_KEY", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
)

ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "accord.core.staticfiles.StaticFilesConfig",  # django.contrib.staticfiles, collecting less
    "django.contrib.humanize",
    "csp",
    "django_filters",
    "ninja",  # its Swagger UI and ReDoc from local static files, not a CDN
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # core before django_tasks_db: its db_worker command (heartbeat leases) overrides theirs
    "accord.core",
    "django_tasks",
    "django_tasks_db",
    "accord.identity",
    "accord.ledger",
    "accord.signing",
    "accord.contracts",
    "accord.seals",
    "accord.envelopes",
    "accord.integrations",
    "accord.mediation",
    "accord.site",
]

MIDDLEWARE = [
    "accord.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accord.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accord.core.middleware.ActorMiddleware",
    "accord.core.inputs.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accord.core.middleware.AccordErrorMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accord.core.pages.shell",
                "accord.site.navigation.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'accord.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a worker process started by a test sees the test database.
    # Named per process, so that concurrent test runs never share one file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Rate limits must hold across the web and worker processes: a shared file cache does.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# DEP 14 tasks: the database backend by default; RQ on Redis when ACCORD_TASK_BACKEND=rq.
ACCORD_TASK_BACKEND = os.environ.get("ACCORD_TASK_BACKEND", "database")
if ACCORD_TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("ACCORD_TASK_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif ACCORD_TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only in production: HSTS for a year, and a redirect from http (the load balancer's
# health probe of /healthz excepted). Behind a TLS-terminating proxy, it says X-Forwarded-Proto.
SECURE_HSTS_SECONDS = int(os.environ.get("ACCORD_HSTS_SECONDS", 365 * 86400 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_SSL_REDIRECT = os.environ.get("ACCORD_SSL_REDIRECT", "1" if PRODUCTION else "0") == "1"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
if os.environ.get("ACCORD_BEHIND_PROXY", "1" if PRODUCTION else "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy in every mode, so that the browser tests meet the production policy:
# scripts only from our origin or with the response's nonce (no inline handlers, no eval);
# nothing from another origin at all (the deployment is offline; issue #13).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        # Bootstrap, ECharts and Swagger UI set style attributes; no script can come of it.
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The largest request body of any kind (accord.core.inputs): refused at its Content-Length, and
# counted while a multipart upload streams to disk.
ACCORD_MAX_REQUEST_BYTES = int(os.environ.get("ACCORD_MAX_REQUEST_BYTES", 25 * 1024 * 1024))
ACCORD_JSON_MAX_DEPTH = 32
FILE_UPLOAD_HANDLERS = [
    "accord.core.inputs.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "accord" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STATICFILES_DIRS = [(p, d) for p, d in STATICFILES_DIRS if d.exists()]
# Documents are encrypted at rest (accord.core.storage) on the storage that holds them: local
# disk by default, or ACCORD_FILE_STORAGE (e.g. storages.backends.s3.S3Storage).
STORAGES = {
    "default": {
        "BACKEND": "accord.core.storage.EncryptedStorage",
        "OPTIONS": {
            "inner": os.environ.get(
                "ACCORD_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"
            ),
            "inner_options": {"location": str(VAR_DIR / "files")}
            if "ACCORD_FILE_STORAGE" not in os.environ
            else {},
        },
    },
    # Hashed names with gzip/Brotli copies once collectstatic has run (accord/core/staticfiles.py).
    "staticfiles": {"BACKEND": "accord.core.staticfiles.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# CJK fonts for the PDFs (Typst): Debian's Noto CJK where installed, else Noto Serif SC from
# npm (package.json), so that a machine with only Python and Node renders Chinese text.
NPM_CJK_FONT = NODE_MODULES / "@expo-google-fonts" / "noto-serif-sc"
ACCORD_FONT_DIRS = [
    d
    for d in (
        Path("/usr/share/fonts/opentype/noto"),
        Path("/usr/share/fonts/truetype/noto"),
        NPM_CJK_FONT / "400Regular",
        NPM_CJK_FONT / "700Bold",
    )
    if d.is_dir()
]

# Accord's own knobs.
ACCORD_SMS_GATEWAY = os.environ.get(
    "ACCORD_SMS_GATEWAY", "accord.core.notifications.LocalSmsGateway"
)
ACCORD_SMS_HTTP_URL = os.environ.get("ACCORD_SMS_HTTP_URL", "http://127.0.0.1:9025")
ACCORD_SMS_HTTP_SECRET = os.environ.get("ACCORD_SMS_HTTP_SECRET", "")
ACCORD_IDENTITY_VERIFIER = os.environ.get(
    "ACCORD_IDENTITY_VERIFIER", "accord.identity.verification.RegistryIdentityVerifier"
)
ACCORD_OTP_TTL_SECONDS = 300
ACCORD_OTP_MAX_ATTEMPTS = 5
ACCORD_LOGIN_MAX_FAILURES = 5
ACCORD_LOGIN_LOCKOUT_SECONDS = 15 * 60
# Failures from every source together before an account (or phone) is locked from everywhere;
# ACCORD_LOGIN_MAX_FAILURES locks one source out of one account (identity.auth).
ACCORD_LOGIN_ACCOUNT_MAX_FAILURES = 50
ACCORD_SMS_SEND_INTERVAL_SECONDS = 60
ACCORD_SMS_SENDS_PER_HOUR_PER_IP = 20
ACCORD_OUTBOX_LEASE_SECONDS = 60
ACCORD_OUTBOX_MAX_ATTEMPTS = 12
# How long a worker holds a chunk of a batch before another may take it up (envelopes.batch_send).
ACCORD_BATCH_LEASE_SECONDS = int(os.environ.get("ACCORD_BATCH_LEASE_SECONDS", "120"))
# A task worker's heartbeat lease: its RUNNING tasks go back to the queue when it runs out
# (core/workers.py); a task whose workers died this many times is failed instead.
ACCORD_WORKER_LEASE_SECONDS = float(os.environ.get("ACCORD_WORKER_LEASE_SECONDS", "60"))
ACCORD_WORKER_MAX_ATTEMPTS = 3
# Roles that must log in with a TOTP second factor.
ACCORD_TOTP_ROLES = {"bureau_officer", "street_officer", "auditor", "admin"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if PRODUCTION else "plain",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Webhooks to private or loopback addresses (an HR system on the same network) only when allowed.
ACCORD_WEBHOOK_ALLOW_PRIVATE = (
    os.environ.get("ACCORD_WEBHOOK_ALLOW_PRIVATE", "0" if PRODUCTION else "1") == "1"
)
# /metrics (Prometheus) answers loopback clients, or this bearer token (docs/operations.md).
ACCORD_METRICS_TOKEN = os.environ.get("ACCORD_METRICS_TOKEN", "")
# The address people reach Accord at, for links in SMS messages.
ACCORD_PUBLIC_URL = os.environ.get("ACCORD_PUBLIC_URL", "http://127.0.0.1:8000")

if ACCORD_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The evidence ledger's sequencer (accord/ledger/sequencer.py): "auto" uses the sequencer
# process (`accord ledger sequencer`) on ACCORD_LEDGER_SOCKET when it runs, else a sequencer
# thread in each process; tests append inline, in the test's own transaction.
ACCORD_LEDGER_ORIGIN = os.environ.get("ACCORD_LEDGER_ORIGIN", "accord.futian.example/ledger")
ACCORD_LEDGER_SEQUENCER = os.environ.get(
    "ACCORD_LEDGER_SEQUENCER", "inline" if ACCORD_ENV == "test" else "auto"
)
ACCORD_LEDGER_SOCKET = os.environ.get(
    "ACCORD_LEDGER_SOCKET", str(VAR_DIR / "ledger-sequencer.sock")
)
ACCORD_LEDGER_BATCH_MAX = int(os.environ.get("ACCORD_LEDGER_BATCH_MAX", "256"))
ACCORD_LEDGER_BATCH_DELAY_MS = float(os.environ.get("ACCORD_LEDGER_BATCH_DELAY_MS", "0"))
ACCORD_LEDGER_CHECKPOINT_MS = float(os.environ.get("ACCORD_LEDGER_CHECKPOINT_MS", "100"))
ACCORD_LEDGER_MAX_PENDING = int(os.environ.get("ACCORD_LEDGER_MAX_PENDING", "20000"))
