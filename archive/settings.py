"""Settings for the Inspection Archive, read from the environment.

DJANGO_DEBUG            "1"/"true" for local development (default off)
DJANGO_SECRET_KEY       required when DEBUG is off
DJANGO_ALLOWED_HOSTS    comma-separated; required when DEBUG is off (loopback names in DEBUG)
DATABASE_URL            e.g. postgres://postgres@127.0.0.1:5432/archive; default: db.sqlite3 here
REDIS_URL               e.g. redis://127.0.0.1:6379/0: the cache, shared by every process; default: per process
DJANGO_SECURE_SSL_REDIRECT  "0" to serve plain HTTP with DEBUG off (a local trial); default on
DJANGO_TRUST_X_FORWARDED_PROTO  "1" behind a TLS-terminating proxy that sets X-Forwarded-Proto
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from archive.environment import env_flag, env_list

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_flag("DJANGO_DEBUG")

# Only ever used with DEBUG on, on a developer's machine.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY: it is required when DJANGO_DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is a development default; set a secret of your own.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or (["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS (comma-separated host names): required when DEBUG is off.")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    "csp",
    "axes",
    "archive",
    "articles",
    "people",
]

MIDDLEWARE = [
    "archive.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Whole public pages per archive revision for visitors without a session (archive/page_cache.py);
    # inside the middleware that adds per-request headers and logs, after the session cookie is known.
    "archive.page_cache.VisitorPageCacheMiddleware",
    # Records which member of staff made each change in the models' history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archive.urls"

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
                "archive.context_processors.site_paths",
            ],
        },
    },
]

# runserver (development) loads the application from here; gunicorn imports archive.wsgi, which refuses DEBUG.
WSGI_APPLICATION = "archive.dev_wsgi.application" if DEBUG else "archive.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL counts as unset (it would otherwise configure no database at all).
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # A read-mostly archive: write-ahead logging lets readers run beside a writer,
        # NORMAL sync is safe with WAL, and memory-mapped reads keep the indexes in memory
        # without a copy in SQLite's own page cache. Writers take the lock up front and wait.
        # Measured at 100k articles and left out: temp_store=MEMORY and a 64 MB cache_size
        # both made the grouping behind uncached facet counts about twice as slow (SQLite's
        # sorter then sorts a million rows in one in-memory run instead of in spilled chunks).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off unless this is set. Only the app's prepared
    # queries (archive/prepared.py) use them, through cursors that bind values on the server: the
    # rest of Django binds values into the SQL text, which is never prepared.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Hardening: cookies, transport and headers (checked by `manage.py check --deploy` in CI) ---------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# Only staff have sessions, and the admin needs no entry from other sites.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Strict"
# Staff sessions are short and end with the browser.
SESSION_COOKIE_AGE = 2 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP inside the network
if env_flag("DJANGO_TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Two years, subdomains included, preloadable: browsers never try plain HTTP again.
SECURE_HSTS_SECONDS = 0 if DEBUG else 2 * 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = not DEBUG

# A strict Content-Security-Policy (django-csp): the archive's pages and its admin load scripts,
# styles, images and fonts from the archive only, run no inline script or style, and cannot be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
        "manifest-src": [SELF],
    }
}

# Admin login throttling (django-axes): after five failures for a user from an address, further
# attempts are refused for fifteen minutes, even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# How many results a list page shows, and the most any facet shows.
ARCHIVE_PAGE_SIZE = 20
ARCHIVE_FACET_LIMIT = 100
# How many of a facet's values the page lists before its "Show more" link (which lists them all, up
# to the limit): a sidebar of 100 names a facet is long to read and to tab through.
ARCHIVE_FACET_SHOWN = 30
# Counts are cached per filter state and archive revision; the timeout only bounds memory use.
ARCHIVE_FACET_CACHE_SECONDS = 24 * 3600

# Each process keeps its own cache of counts (a list's facets pickle to some tens of KiB): a bound
# on entries bounds its memory, and the least recently used entries go first.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 2000, "CULL_FREQUENCY": 4},
    },
    # Whole pages (tens of KB each): few enough per process to bound its memory (~25 MB).
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": 900,
        "OPTIONS": {"MAX_ENTRIES": 300, "CULL_FREQUENCY": 3},
    },
}
# With several processes or machines, Redis holds one cache for all of them (counts computed once,
# not once per worker). Entries expire on their own; Redis needs no bound of ours.
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": "archive",
    }
    # Pages of past revisions are never read again: they expire after 15 minutes.
    CACHES["pages"] = {**CACHES["default"], "KEY_PREFIX": "archive-pages", "TIMEOUT": 900}

# Whole public pages kept per archive revision (archive/page_cache.py). On unless set to 0: the
# benchmark turns it off to measure what a page costs to make.
ARCHIVE_PAGE_CACHE = env_flag("ARCHIVE_PAGE_CACHE", default=True)

# A serving process counts the unfiltered lists in the background when it starts and after every
# write, so that no visitor waits for them (archive/warming.py); it reads the revision this often.
ARCHIVE_WARM_LISTS = env_flag("ARCHIVE_WARM_LISTS", default=True)
try:
    ARCHIVE_WARM_POLL_SECONDS = float(os.environ.get("ARCHIVE_WARM_POLL_SECONDS", "2"))
except ValueError:
    ARCHIVE_WARM_POLL_SECONDS = float("nan")
if not 0 < ARCHIVE_WARM_POLL_SECONDS < float("inf"):
    raise ImproperlyConfigured("ARCHIVE_WARM_POLL_SECONDS must be a number of seconds above 0.")

# One JSON line per request on standard output (archive.observability), for the log collector.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "archive.observability.JsonLineFormatter"}},
    # A StreamHandler writes to standard error unless told otherwise. The log (requests, the warmer, Django's own
    # errors with their tracebacks, as JSON lines) is the process's standard output, as the README says; standard
    # error keeps what does not go through logging (the server's own log, Python's warnings, a crash).
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "loggers": {
        "archive.requests": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "archive.warming": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django": {"handlers": ["stdout"], "level": "WARNING"},
    },
}
