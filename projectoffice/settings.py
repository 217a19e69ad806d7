"""One settings module, driven by the environment.

`DJANGO_ENV` picks the mode: `development` (the default: SQLite, DEBUG, in-process
tasks, so `make run` works on a bare machine), `test`, or `production`, where every
value that matters must come from the environment and a missing one stops start-up.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats
from kombu.entity import Queue

from projectoffice.dates import iso_date

# `admin.TabularInline[ReportLine, Report]` and the like, as mypy --strict asks, at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# The file of settings read before the environment (values in the environment win):
# `.env` by default, ENV_FILE to name another (the tests name one that does not exist).
environ.Env.read_env(os.environ.get("ENV_FILE") or BASE_DIR / ".env", overwrite=False)
env = environ.Env()
# An empty value is an unset one: `DATABASE_URL=` as `.env.example` writes it means SQLite,
# never a URL without an engine.
env.ENVIRON = {name: value for name, value in os.environ.items() if value.strip()}

MODES = ("development", "test", "production")
DJANGO_ENV: str = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in MODES:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r} is not one of {', '.join(MODES)}.")
PRODUCTION = DJANGO_ENV == "production"


def required_in_production(name: str, development_default: str) -> str:
    """The value of `name`; in production it must be set and non-empty."""
    value: str = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return development_default


def whole_number(name: str, default: int, low: int, high: int) -> int:
    """An integer setting from `low` to `high`; anything else stops start-up, naming it."""
    raw: str = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be a whole number from {low} to {high}, not {raw!r}.")
    return value


def date_setting(name: str, default: datetime.date, earliest: datetime.date) -> datetime.date:
    """A date setting written YYYY-MM-DD, not before `earliest`; anything else stops start-up."""
    raw: str = env.str(name, default=default.isoformat()).strip()
    try:
        value = iso_date(raw)
    except ValueError:
        value = None
    if value is None or value < earliest:
        raise ImproperlyConfigured(f"{name} must be a date written YYYY-MM-DD, from {earliest} on, not {raw!r}.")
    return value


SECRET_KEY = required_in_production("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")
DEBUG: bool = env.bool("DEBUG", default=not PRODUCTION and DJANGO_ENV != "test")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that its `createsuperuser` and `changepassword` (which write the admin's
    # log entry, docs/security.md) stand in for Django's own.
    "agencies",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Hashing and generation of keys for AgencyToken; its own APIKey model is unused.
    "rest_framework_api_key",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "regions",
    "initiatives",
    "citizens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "projectoffice.language.QueryLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses an oversized upload from its Content-Length, before anything reads the body.
    "projectoffice.body_size.BodySizeMiddleware",
    # After authentication and the CSRF check: ends sessions idle or too old.
    "projectoffice.session_limits.SessionLimitsMiddleware",
    # Remembers the language a person's browser asks for, for their e-mails, until they choose one.
    "agencies.browser_language.BrowserLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "projectoffice.db_router.ApiReadsMiddleware",
    # Last, as django-axes asks: it answers locked-out log-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "projectoffice.urls"
WSGI_APPLICATION = "projectoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
if PRODUCTION and not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production.")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections in production (a request does not pay for a new one), checked
# before reuse so one the server or a pooler dropped is replaced; behind a pooler, session
# pooling only: the job locks are session-level advisory locks (docs/scaling.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=PRODUCTION)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database has one writer at a time: `make run`'s background forecasts
    # and early warning wait for the server's writes (an import, a release) rather than
    # fail after SQLite's default 5 s.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 30)
# A PostgreSQL read replica for API reads (projectoffice/db_router.py); unset, all on the primary.
DATABASE_REPLICA_URL: str = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    # Tests use the primary's test database as the stand-in replica.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["projectoffice.db_router.ReplicaRouter"]
# Read from the primary even in API reads: rows a client polls right after writing them
# (its exports and imports), and keys, whose revocation must act at once.
REPLICA_PRIMARY_ONLY = ["initiatives.export", "initiatives.importbatch", "agencies.agencytoken"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: the Celery broker and the cache. Without it, tasks run in-process.
REDIS_URL: str = env.str("REDIS_URL", default="")


def next_redis_database(url: str) -> str:
    """redis://host:6379/3 -> redis://host:6379/4 (no number: database 0, so 1)."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{number + 1}"))


# The cache in a Redis database of its own (by default the broker's number + 1), so that
# clearing the cache never drops queued tasks.
REDIS_CACHE_URL: str = env.str("REDIS_CACHE_URL", default=next_redis_database(REDIS_URL) if REDIS_URL else "")
if REDIS_URL:
    CACHES = {
        "default": {
            # A Redis that is down is a cache miss, not a failed request (projectoffice/cache.py).
            "BACKEND": "projectoffice.cache.ForgivingRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis, tasks run in the process (eager); Celery still opens its in-memory
# transport to serialise their arguments, and kombu warns on every command ("No hostname
# was supplied") unless the address names one.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Almaty"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker process reserves one task at a time, so a quick task is never held behind a
# slow one in a busy process's reservation while another process is free.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One queue per kind of work, so that a pile of one never holds up another: `make worker`
# (and a bare `celery worker`) consumes them all; `-Q imports` and so on, one worker per
# queue (docs/background-jobs.md). Quick housekeeping (the sweeps, the takeover, reminders)
# goes with the notices. Forecasts (minutes of model fitting per KPI) have their own queue,
# so a month's refit never holds up an import or a notice.
CELERY_QUEUES = ("imports", "exports", "notices", "rollups", "forecasts")
CELERY_TASK_QUEUES = [Queue(name) for name in CELERY_QUEUES]  # type: ignore[no-untyped-call]
CELERY_TASK_DEFAULT_QUEUE = "notices"
CELERY_TASK_ROUTES = {
    "initiatives.tasks.run_statistics_import": {"queue": "imports"},
    "initiatives.tasks.build_export": {"queue": "exports"},
    "initiatives.tasks.refresh_rollups": {"queue": "rollups"},
    "initiatives.tasks.check_rollups": {"queue": "rollups"},
    "initiatives.tasks.take_rollup_checkpoint": {"queue": "rollups"},
    "initiatives.tasks.checkpoint_rollups_if_due": {"queue": "rollups"},
    "initiatives.tasks.sweep_rollup_checkpoints": {"queue": "rollups"},
    "initiatives.tasks.run_forecast": {"queue": "forecasts"},
    "initiatives.tasks.forecast_after_import": {"queue": "forecasts"},
    "initiatives.tasks.forecast_month": {"queue": "forecasts"},
    "initiatives.tasks.backtest_week": {"queue": "forecasts"},
    "initiatives.tasks.refresh_campaign_impacts": {"queue": "forecasts"},
    "initiatives.tasks.run_detection": {"queue": "forecasts"},
    "initiatives.tasks.detect_after_import": {"queue": "forecasts"},
    "initiatives.tasks.deliver_notice": {"queue": "notices"},
    "initiatives.tasks.deliver_pending_notices": {"queue": "notices"},
    "initiatives.tasks.send_reminders": {"queue": "notices"},
    "initiatives.tasks.resume_import_jobs": {"queue": "notices"},
    "initiatives.tasks.delete_expired_exports": {"queue": "notices"},
    "initiatives.tasks.take_over_jobs": {"queue": "notices"},
    "citizens.tasks.erase_expired_personal_data": {"queue": "notices"},
    "citizens.tasks.sync_citizen_kpis": {"queue": "notices"},
}
# After a statistics import that changed values, the worker refits the forecasts of the
# KPIs it changed (initiatives/forecasts/jobs.py). Without a broker, tasks would run inside
# the import's request for minutes: then `python manage.py forecast` does it by hand.
FORECASTS_AFTER_IMPORT = env.bool("FORECASTS_AFTER_IMPORT", default=bool(REDIS_URL))
# ... and tests the months it wrote for unexpected moves, behind the forecasts on the same
# queue (initiatives/alerts/jobs.py); without a broker, `python manage.py detect_rises`.
ALERTS_AFTER_IMPORT = env.bool("ALERTS_AFTER_IMPORT", default=bool(REDIS_URL))
# Early warning (docs/early-warning.md): false alarms the office accepts per month across
# every series tested, both kinds of alert together; an imported figure whose modified
# z-score against its own past months is beyond IMPORT_WARNING_Z is warned about.
ALERTS_MONTHLY_FALSE_ALARMS = env.float("ALERTS_MONTHLY_FALSE_ALARMS", default=5.0)
if ALERTS_MONTHLY_FALSE_ALARMS <= 0:
    raise ImproperlyConfigured("ALERTS_MONTHLY_FALSE_ALARMS must be above 0")
IMPORT_WARNING_Z = env.float("IMPORT_WARNING_Z", default=5.0)
# Rollup checkpoints, from which a figure "as of" a past moment starts (docs/performance.md,
# "Figures as of a moment"): one at each release (kept for ever), one after each statistics
# import that changed values, and one whenever this many history rows (changes of values)
# have been written since the last, looked for every minute by beat; those not at a
# release are deleted after ROLLUP_CHECKPOINT_DAYS days.
ROLLUP_CHECKPOINT_CHANGES = env.int("ROLLUP_CHECKPOINT_CHANGES", default=5000)
if ROLLUP_CHECKPOINT_CHANGES < 1:
    raise ImproperlyConfigured("ROLLUP_CHECKPOINT_CHANGES must be at least 1")
ROLLUP_CHECKPOINT_DAYS = env.int("ROLLUP_CHECKPOINT_DAYS", default=90)
if ROLLUP_CHECKPOINT_DAYS < 0:
    raise ImproperlyConfigured("ROLLUP_CHECKPOINT_DAYS must not be below 0")
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# How often beat looks for imports and exports whose worker died: a dead worker's job is
# running again within this long plus a queue's wait (docs/background-jobs.md).
JOBS_TAKEOVER_SECONDS = env.int("JOBS_TAKEOVER_SECONDS", default=60)
if not 0 < JOBS_TAKEOVER_SECONDS <= 60:
    raise ImproperlyConfigured("JOBS_TAKEOVER_SECONDS must be between 1 and 60.")
CELERY_BEAT_SCHEDULE = {
    # Delivers notices that could not be queued when they were written (broker down).
    "deliver-pending-notices": {"task": "initiatives.tasks.deliver_pending_notices", "schedule": 300.0},
    # Report reminders and escalations, once a day in office hours (CELERY_TIMEZONE: Almaty).
    "send-reminders": {"task": "initiatives.tasks.send_reminders", "schedule": crontab(hour=9, minute=0)},
    # Statistics uploads that were never queued (broker down).
    "resume-import-jobs": {"task": "initiatives.tasks.resume_import_jobs", "schedule": 300.0},
    # Exports: queues those never queued (broker down); deletes expired files.
    "sweep-exports": {"task": "initiatives.tasks.delete_expired_exports", "schedule": 300.0},
    # Imports and exports whose worker died (their lock is free), given to a live worker.
    "take-over-jobs": {"task": "initiatives.tasks.take_over_jobs", "schedule": float(JOBS_TAKEOVER_SECONDS)},
    # Compares the KPI engine's rollups with the values; /healthz reports a drift.
    "check-rollups": {"task": "initiatives.tasks.check_rollups", "schedule": crontab(hour=3, minute=30)},
    # A rollup checkpoint when ROLLUP_CHECKPOINT_CHANGES changes have accumulated (or an
    # import's own was lost); the old ones deleted, nightly.
    "checkpoint-rollups": {"task": "initiatives.tasks.checkpoint_rollups_if_due", "schedule": 60.0},
    "sweep-rollup-checkpoints": {
        "task": "initiatives.tasks.sweep_rollup_checkpoints",
        "schedule": crontab(hour=3, minute=50),
    },
    # The month's forecasts, once the statistics of the month before are in (the 16th, 04:00
    # Almaty), one task per KPI; and the weekly backtest that scores them (Sunday, 02:30).
    "forecast-month": {
        "task": "initiatives.tasks.forecast_month",
        "schedule": crontab(day_of_month=16, hour=4, minute=0),
    },
    "backtest-week": {"task": "initiatives.tasks.backtest_week", "schedule": crontab(day_of_week=0, hour=2, minute=30)},
    # Erases citizens' personal data whose retention period is over (the counts stay).
    "erase-citizen-personal-data": {
        "task": "citizens.tasks.erase_expired_personal_data",
        "schedule": crontab(hour=2, minute=15),
    },
    # The citizen register's KPIs are written through the last complete month: shortly
    # after midnight the month just over gets its values, even with no register change.
    "sync-citizen-kpis": {"task": "citizens.tasks.sync_citizen_kpis", "schedule": crontab(hour=0, minute=10)},
}
# Longer than the longest task, or Redis hands a running task to a second worker. A whole
# worker that dies leaves its task unacknowledged; Redis gives it out again after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    "socket_connect_timeout": 5,
    # Within a queue, a task sent with priority 0 (the default) goes before one sent with 9:
    # a small export is not held behind full-table ones (initiatives/services/exports.py).
    "priority_steps": [0, 9],
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues a task while Redis is down gives up within a second or two (what
# it queued is in the database already; the sweeps queue it again).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

# --- E-mail: SMTP in production, printed to the console in development.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")
# Where people reach the site (scheme and host, no path): the links in e-mails start with it.
SITE_URL: str = required_in_production("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if urlsplit(SITE_URL).scheme not in ("http", "https") or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} is not an address like https://tracker.example.kz.")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: one file per e-mail.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))

# --- Passwords and sessions
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account
# from one address, that pair waits AXES_COOLOFF_HOURS; after AXES_IP_FAILURE_LIMIT wrong
# passwords from one address, whatever the accounts (password spraying), the address
# waits as long (projectoffice/login_lockout.py). The portal, the admin and the API's
# log-in page all go through it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front that append the address they saw to X-Forwarded-For: 1 behind the TLS
# proxy of README's "Deploying". With 0, the peer's address is the client's and the header
# is ignored (anyone can send one). Log-in lock-outs count by this address.
TRUSTED_PROXY_COUNT = whole_number("TRUSTED_PROXY_COUNT", default=0, low=0, high=5)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "projectoffice.login_lockout.AccountAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "projectoffice.login_lockout.client_address"
# A lock-out lasts AXES_COOLOFF_HOURS from the attempt that caused it: tries during it
# are refused without being counted, so they do not keep it going.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# A log-in ends after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after
# it began (projectoffice/session_limits.py); a form posted after that comes back after
# logging in again.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=60)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
if not 0 < SESSION_MAX_HOURS <= 12 or not 0 < SESSION_IDLE_MINUTES <= SESSION_MAX_HOURS * 60:
    raise ImproperlyConfigured("SESSION_MAX_HOURS must be 1 to 12, SESSION_IDLE_MINUTES 1 to that many hours.")
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Content-Security-Policy on every response (django-csp): scripts, styles, images and
# fonts only from this site, no inline script (templates load theirs from static/), no
# plugins, never framed. Inline style is allowed: the API's documentation page (Swagger
# UI) writes its own at run time; styles cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# --- Languages: Kazakh, Russian, English; Almaty time.
LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("kk", _("Kazakh")),
    ("ru", _("Russian")),
    ("en", _("English")),
]
# Ours first; then Kazakh for Django's own strings its kk catalogue lacks, kept apart so
# that makemessages (which writes only to the first) never marks them obsolete.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_django"]
FORMAT_MODULE_PATH = ["projectoffice.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

# --- Static files, served by whitenoise.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, files are served straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded evidence lives outside the web root and is served only through views that check access.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.tokens.AgencyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "projectoffice.api_csv.CSVRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "projectoffice.api_csv.FormatFirstNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "projectoffice.api_throttles.KeyThrottle",
        "projectoffice.api_throttles.PersonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "agency_token": env.str("API_RATE_PER_TOKEN", default="600/minute"),
        "user": env.str("API_RATE_PER_PERSON", default="1200/minute"),
    },
    "EXCEPTION_HANDLER": "projectoffice.api_errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": [
        "projectoffice.api_filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # `page_size` on every list, up to projectoffice.api_pagination.MAX_PAGE_SIZE.
    "DEFAULT_PAGINATION_CLASS": "projectoffice.api_pagination.PagePagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Law and Order project office API",
    "DESCRIPTION": "Regions, agencies, initiatives and KPIs of the Law and Order Concept.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the project's own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"AggregationEnum": "initiatives.models.indicators.Aggregation"},
    # The error shape on every operation (projectoffice/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "projectoffice.api_schema.document_errors",
        "projectoffice.api_schema.document_files",
        # `format` and `lang` on every operation (projectoffice/api_parameters.py).
        "projectoffice.api_parameters.declare_common_parameters",
    ],
}

# --- Spreadsheet import and export in the admin (django-import-export)
IMPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]
EXPORT_FORMATS = IMPORT_FORMATS
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Every imported row goes through save() inside one transaction, so history keeps the
# acting user and a failing row leaves nothing half-written.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# The largest statistics file the API accepts (a year of district figures is about 40 MB).
MAX_IMPORT_FILE_BYTES = env.int("MAX_IMPORT_FILE_BYTES", default=100 * 10**6)
# The largest evidence file a coordinator attaches to a report (a phone's scan or photo).
MAX_EVIDENCE_FILE_BYTES = env.int("MAX_EVIDENCE_FILE_BYTES", default=10 * 10**6)
# The most rows one export of KPI values may hold; a larger one fails, asking for narrower filters.
MAX_EXPORT_ROWS = env.int("MAX_EXPORT_ROWS", default=1_000_000)
# Exports one requester (a person or a token) may have waiting or being built at once.
MAX_UNFINISHED_EXPORTS = env.int("MAX_UNFINISHED_EXPORTS", default=3)
# An export of at most this many rows is small: it is queued ahead of bigger ones.
SMALL_EXPORT_ROWS = env.int("SMALL_EXPORT_ROWS", default=50_000)
# The public page withholds counts from 1 to below this (shown as "<5"), and whatever
# would let one be worked out (initiatives/engine/disclosure.py).
PUBLIC_SUPPRESSION_THRESHOLD = env.int("PUBLIC_SUPPRESSION_THRESHOLD", default=5)
if PUBLIC_SUPPRESSION_THRESHOLD < 2:
    raise ImproperlyConfigured("PUBLIC_SUPPRESSION_THRESHOLD must be at least 2")
# One-time messages (a new token's key) stay on the server, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- The citizen register's personal data (docs/personal-data.md)
# Fernet keys (32 url-safe base64 bytes each), comma-separated: the first encrypts, every
# one decrypts, so a key is rotated by putting a new one first and re-encrypting
# (`manage.py rotate_citizen_data_key`). A key of their own, never derived from SECRET_KEY.
# The development and test defaults are public, so production refuses to start without both.
CITIZENS_DATA_KEYS: list[str] = required_in_production(
    "CITIZENS_DATA_KEYS", "ZGV2LW9ubHktY2l0aXplbnMtZGF0YS1rZXktMzJieXQ="
).split(",")
# The key of the IIN's keyed hash (HMAC-SHA256), which finds repeat reporters without
# decrypting. Changing it needs `manage.py rotate_citizen_data_key` to re-hash.
CITIZENS_HASH_KEY: str = required_in_production("CITIZENS_HASH_KEY", "dev-only-citizens-iin-hash-key")
# Personal data are erased this many years after the decision (or the receipt, if undecided).
CITIZENS_RETENTION_YEARS: int = env.int("CITIZENS_RETENTION_YEARS", default=5)
# The first day the register can hold: an earlier date (a typo, 1900-01-01) is refused, and
# its KPIs are counted from no earlier month.
CITIZENS_REGISTER_START = date_setting(
    "CITIZENS_REGISTER_START", default=datetime.date(2020, 1, 1), earliest=datetime.date(1900, 1, 1)
)
# django-fernet-encrypted-fields derives keys from SECRET_KEY and SALT_KEY; the register's
# fields override that with CITIZENS_DATA_KEYS (citizens/encryption.py). Set so the
# library's own fields, if ever used, still do not run on SECRET_KEY alone.
SALT_KEY: list[str] = CITIZENS_DATA_KEYS

# --- Logging: everything to stderr, where the process manager collects it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own console handler would print every line a second time.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside the command or request that queued them: a line per task that
    # succeeded ("Task ... succeeded in 0.1s") is noise there; failures still show.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}  # type: ignore[index]

# --- Production hardening; `manage.py check --deploy` passes with these.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

if DJANGO_ENV == "test":
    # Hashing with a fast algorithm keeps the suite quick; never outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
