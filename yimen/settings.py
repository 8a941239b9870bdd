"""Settings for Yimen, read from environment variables with safe defaults.

SQLite in ``var/`` by default; PostgreSQL (or any database) by ``DATABASE_URL``.
``DEBUG`` is off unless ``YIMEN_DEBUG=1``.
"""

import base64
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIMEN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The key from the environment, or one generated once per install and kept out of git."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _data_key() -> str:
    """The key sealing residents' phone and ID numbers (``yimen.crypto``): from the
    environment, or generated once per install and kept out of git, like the secret key."""
    if key := os.environ.get("YIMEN_DATA_KEY"):
        return key
    path = VAR_DIR / "data_key"
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(64)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


YIMEN_DATA_KEY = _data_key()
DEBUG = _env_bool("YIMEN_DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yimen.audit",
    "yimen.org",
    "yimen.workdays",
    "yimen.notices",
    "yimen.jobs",
    "yimen.cases",
    "yimen.search",
    "yimen.mediation",
    "yimen.accountability",
    "yimen.ledgers",
    "yimen.dashboard",
    "yimen.reports",
    "yimen.meetings",
    "yimen.safety",
    "yimen.fieldwork",
    "yimen.emergency",
    "yimen.supervision",
    "yimen.api",
    "yimen.open311",
    "yimen.portal",
    "yimen.home",
    "yimen.accounts",
    "yimen.ops",
    "yimen.triage",
    "yimen.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yimen.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yimen.urls"
WSGI_APPLICATION = "yimen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yimen.home.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction starts, so two of them queue up instead
    # of one failing with "database is locked" halfway through (the audit chain relies on it).
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# A PostgreSQL streaming replica for the reads that may lag a moment (yimen/dbrouter.py says
# which); writes, transactions and migrations stay on the primary. See docs/scaling.md.
if os.environ.get("YIMEN_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["YIMEN_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    # Tests use the primary's test database under this alias too: a replica is read-only.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["yimen.dbrouter.PrimaryReplicaRouter"]
    # Outermost, so a session or audit row written by any middleware counts as a write.
    MIDDLEWARE.insert(0, "yimen.dbrouter.PinAfterWriteMiddleware")
# After a request writes, its browser reads the primary for this long (a cookie).
YIMEN_REPLICA_PIN_SECONDS = int(os.environ.get("YIMEN_REPLICA_PIN_SECONDS", 5))
# Behind pgbouncer in transaction pooling mode a server-side cursor (the exports read in
# chunks through one) cannot outlive its transaction: YIMEN_DB_TRANSACTION_POOLING=1.
# PostgreSQL's JIT compiled the list's deep-page query for 300 ms of its 460 ms (bench/README,
# "Scale"); the app's queries are short and indexed, so it costs more than it saves.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
if _env_bool("YIMEN_DB_TRANSACTION_POOLING"):
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
# django-axes first: it refuses a locked-out username and address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("YIMEN_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("YIMEN_LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "yimen.portal.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "yimen.accounts.views.locked_out"
# Roles that confirm a one-time code after their password (comma-separated role codes).
YIMEN_OTP_REQUIRED_ROLES = tuple(
    role for role in os.environ.get("YIMEN_OTP_REQUIRED_ROLES", "admin,director").split(",") if role
)
OTP_TOTP_ISSUER = "Yimen"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English second; times in the jurisdiction's zone.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the source folders so a fresh clone needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_bool("YIMEN_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    # A center's host names are all served over HTTPS; set these to 0 for a shared domain.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("YIMEN_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("YIMEN_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _tile_origin(url: str) -> list[str]:
    """The map tile server's origin for img-src; ``{s}`` subdomains become a wildcard."""
    parts = urlsplit(url.replace("{s}.", "*."))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Scripts only from our own static files (no inline script anywhere); styles may be inline
# because Leaflet and ECharts position what they draw with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_tile_origin(os.environ.get(
            "YIMEN_MAP_TILE_URL", ""))],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}  # fmt: skip

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Yimen's own settings.
YIMEN_CENTER_NAME = os.environ.get("YIMEN_CENTER_NAME", _("Yimen one-stop center"))
# From this month on, the admin home warns when next year's holiday schedule is missing.
YIMEN_CALENDAR_WARN_FROM_MONTH = int(os.environ.get("YIMEN_CALENDAR_WARN_FROM_MONTH", 10))
# Closed cases move to the archive after this many days; they stay searchable there.
YIMEN_ARCHIVE_AFTER_DAYS = int(os.environ.get("YIMEN_ARCHIVE_AFTER_DAYS", 90))
# A signed mediation agreement gets a follow-up visit (回访) due within this many days.
YIMEN_MEDIATION_FOLLOW_UP_DAYS = int(os.environ.get("YIMEN_MEDIATION_FOLLOW_UP_DAYS", 30))
# The sweep reminds a case's unit this many working days before its deadline.
YIMEN_REMIND_WORKING_DAYS_BEFORE = int(os.environ.get("YIMEN_REMIND_WORKING_DAYS_BEFORE", 2))
# The monthly report (月报) is due on this day of the next month (yimen.reports.schedule).
YIMEN_MONTHLY_REPORT_DUE_DAY = int(os.environ.get("YIMEN_MONTHLY_REPORT_DUE_DAY", 5))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Attachments: what the front desk may upload, checked by content, and how big.
YIMEN_UPLOAD_MAX_BYTES = int(os.environ.get("YIMEN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
# REST API calls per staff account (e.g. "600/min", "20/s"); empty for no limit. Answered 429.
YIMEN_API_RATE = os.environ.get("YIMEN_API_RATE", "600/min")

# E-mail goes through Django's mail settings; the console backend (the worker's log) by default.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "yimen@localhost")
# Links in e-mails and webhook payloads point here.
YIMEN_BASE_URL = os.environ.get("YIMEN_BASE_URL", "http://127.0.0.1:8000")

# Outgoing webhooks: seconds to wait for an answer, tries in all, first pause between tries
# (doubling each time: 30 s, 60 s, 120 s, 240 s by default).
YIMEN_WEBHOOK_TIMEOUT = float(os.environ.get("YIMEN_WEBHOOK_TIMEOUT", 5))
YIMEN_WEBHOOK_MAX_TRIES = int(os.environ.get("YIMEN_WEBHOOK_MAX_TRIES", 5))
YIMEN_WEBHOOK_BACKOFF_SECONDS = int(os.environ.get("YIMEN_WEBHOOK_BACKOFF_SECONDS", 30))

# Background work (Celery, see yimen/celery.py). By default the broker is a folder under
# var/ that the worker `make run` starts reads, so no other service is needed; in production
# set CELERY_BROKER_URL=redis://host:6379/0 and run `make worker`.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "queue"
    for _folder in ("messages", "control"):
        (_queue / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "messages"),
        "data_folder_out": str(_queue / "messages"),
        "control_folder": str(_queue / "control"),
    }
else:
    # A message a worker took but never acknowledged (it was killed) goes back to the queue
    # after this many seconds; it must be longer than any task runs or waits for its retry.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))
    }
# JSON, merged over the above, e.g. '{"unacked_restore_interval": 1}'.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    json.loads(os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS", "{}"))
)
# Acknowledge a message only when its task has finished, so nothing is lost when a worker
# dies mid-task: the message is delivered again (tasks are written to be safe to repeat).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `1` runs every task at once in the process that queues it (no worker at all).
CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "deadline-sweep": {
        "task": "supervision.sweep",
        "schedule": float(os.environ.get("YIMEN_SWEEP_EVERY_SECONDS", 300)),
    },
    # The category model learns from the day's closed cases once a day.
    "triage-train": {"task": "triage.train", "schedule": 24 * 3600.0},
}

# Open311: the jurisdiction (by code) of a request that gives only an address_string, no
# lat/long. Empty means such requests are refused and asked for a map point.
YIMEN_OPEN311_DEFAULT_JURISDICTION = os.environ.get("YIMEN_OPEN311_DEFAULT_JURISDICTION", "")

# Cache: rate-limit counters of the resident portal. In-process by default (one web process);
# with several processes behind a load balancer, REDIS_URL shares the counts between them.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Resident portal (/report/, /track/, /stats/). Map tiles only from a server the operator
# names (e.g. an intranet tile server, "https://tiles.example/{z}/{x}/{y}.png"); without
# one the map shows the area outlines on a plain background.
YIMEN_MAP_TILE_URL = os.environ.get("YIMEN_MAP_TILE_URL", "")
YIMEN_MAP_TILE_ATTRIBUTION = os.environ.get("YIMEN_MAP_TILE_ATTRIBUTION", "")
YIMEN_PORTAL_MAX_PHOTOS = int(os.environ.get("YIMEN_PORTAL_MAX_PHOTOS", 3))
YIMEN_PORTAL_PHOTO_MAX_SIDE = int(os.environ.get("YIMEN_PORTAL_PHOTO_MAX_SIDE", 1600))
YIMEN_PORTAL_PHOTO_MAX_PIXELS = int(os.environ.get("YIMEN_PORTAL_PHOTO_MAX_PIXELS", 120_000_000))
# Rate limits (0 switches one off): reports per IP per hour and per phone per day,
# tracking look-ups per IP per hour.
YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR = int(
    os.environ.get("YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR", 5)
)
YIMEN_PORTAL_SUBMISSIONS_PER_PHONE_DAY = int(
    os.environ.get("YIMEN_PORTAL_SUBMISSIONS_PER_PHONE_DAY", 3)
)
YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR = int(os.environ.get("YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR", 20))
# How long a looked-up matter stays shown in the browser that looked it up.
YIMEN_PORTAL_TRACK_SECONDS = int(os.environ.get("YIMEN_PORTAL_TRACK_SECONDS", 15 * 60))
# Behind a reverse proxy: the header it puts the client's address in (e.g. X-Real-IP).
YIMEN_CLIENT_IP_HEADER = os.environ.get("YIMEN_CLIENT_IP_HEADER", "")
# The public statistics show a rate only when it rests on at least this many matters.
# The rates the dashboard holds the center to; defaults from the regulations. Override one
# with e.g. YIMEN_TARGET_SATISFACTION=0.9.
YIMEN_TARGETS = {
    name: float(os.environ.get(f"YIMEN_TARGET_{name.upper()}", default))
    for name, default in (
        ("on_time", 0.95),
        ("mediation_success", 0.95),
        ("satisfaction", 0.95),
        ("screening_coverage", 0.98),
    )
}
# The duty roster's two shifts (local time): day from the first, night from the second.
YIMEN_DUTY_DAY_STARTS = os.environ.get("YIMEN_DUTY_DAY_STARTS", "08:00")
YIMEN_DUTY_NIGHT_STARTS = os.environ.get("YIMEN_DUTY_NIGHT_STARTS", "20:00")
# Minutes from receipt to report an incident to the district, per response level.
YIMEN_INCIDENT_REPORT_MINUTES = {
    "I": int(os.environ.get("YIMEN_INCIDENT_REPORT_MINUTES_I", 120)),
    "II": int(os.environ.get("YIMEN_INCIDENT_REPORT_MINUTES_II", 120)),
    "III": int(os.environ.get("YIMEN_INCIDENT_REPORT_MINUTES_III", 240)),
    "IV": int(os.environ.get("YIMEN_INCIDENT_REPORT_MINUTES_IV", 1440)),
}
# Minutes the teams of an activated plan have to assemble before they are flagged.
YIMEN_TEAM_ASSEMBLY_MINUTES = int(os.environ.get("YIMEN_TEAM_ASSEMBLY_MINUTES", 30))
# Working days an organisation has to rectify a safety hazard once it is found.
YIMEN_HAZARD_RECTIFY_WORKING_DAYS = int(os.environ.get("YIMEN_HAZARD_RECTIFY_WORKING_DAYS", 10))
# 保存期限: days after a case is closed before its parties' names and numbers are erased
# (the case and its statistics stay). Per category: YIMEN_RETENTION_DAYS_BY_CATEGORY as JSON,
# e.g. {"staff_complaint": 1825}.
YIMEN_RETENTION_DAYS = int(os.environ.get("YIMEN_RETENTION_DAYS", 3 * 365))
YIMEN_RETENTION_DAYS_BY_CATEGORY = json.loads(
    os.environ.get("YIMEN_RETENTION_DAYS_BY_CATEGORY", "{}")
)
# The category-suggestion model, trained on the center's closed cases (manage.py train_triage).
YIMEN_TRIAGE_MODEL = os.environ.get("YIMEN_TRIAGE_MODEL", str(VAR_DIR / "triage" / "model.pkl"))
# How many matters at one address or map point in a period make a repeated place (hotspot).
YIMEN_HOTSPOT_MIN_REPEATS = int(os.environ.get("YIMEN_HOTSPOT_MIN_REPEATS", 3))
YIMEN_PUBLIC_STATS_MIN_COUNT = int(os.environ.get("YIMEN_PUBLIC_STATS_MIN_COUNT", 5))
# Field work: a grid with no patrol for this many days is flagged; a routine screening's length.
YIMEN_PATROL_GAP_DAYS = int(os.environ.get("YIMEN_PATROL_GAP_DAYS", 7))
YIMEN_SCREENING_ROUTINE_DAYS = int(os.environ.get("YIMEN_SCREENING_ROUTINE_DAYS", 15))
