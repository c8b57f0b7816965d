"""Settings for the CRM, read from the environment (see ``.env.example``).

One module for every environment. Production is the default: secrets have no
defaults, and the process refuses to start without ``DJANGO_SECRET_KEY``
unless ``DJANGO_DEBUG`` is on.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crm.embedded_db import embedded_database

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(environ.Env().str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(or set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "viewflow",
    "viewflow.workflow",
    "django_filters",
    "guardian",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    # The CRM, in dependency order (an app never imports one below it).
    "crm",
    "customers",
    "approvals",
    "projects",
    "expenses",
    "competitors",
    "knowledge",
    "service",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crm.middleware.UploadSizeLimitMiddleware",
    "crm.middleware.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "crm.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# PostgreSQL always: DATABASE_URL when set, else the embedded server.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": embedded_database(
            BASE_DIR / "var" / "pgdata", name=env.str("CRM_EMBEDDED_DB_NAME", default="crm")
        )
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the tasks run inline, in the calling process.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Periodic work, run by ``celery -A crm beat`` (docker-compose's beat service):
# each app declares its own in ``AppConfig.periodic_tasks``; ``crm.celery``
# adds them to this schedule once Django's apps are loaded.
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Heavy reports and notifications get their own queues so a burst of one
# never delays the other; workers subscribe with -Q default,reports,notifications.
CELERY_TASK_ROUTES = {
    "analytics.*": {"queue": "reports"},
    "*.notify_*": {"queue": "notifications"},
}

# --- Authentication and security -------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username (from one address) after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# django-guardian: object shares only; no anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: everything is served from this origin (no CDN).
# Inline styles are allowed because viewflow's Material templates use them;
# scripts are never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Uploads: requests larger than this are refused with 413 before they are read.
MAX_UPLOAD_SIZE = env.int("CRM_MAX_UPLOAD_MB", default=20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The CRM's own catalogue (makemessages), then a hand-kept one for the UI
# strings of third-party apps whose zh_Hans catalogue is empty (viewflow).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "crm.staticfiles.AppDirectoriesWithoutNodeModulesFinder",
    "crm.staticfiles.PlotlyFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
#: Private uploads (import files): outside MEDIA_ROOT, never served by URL;
#: views that check who asks stream them.
PRIVATE_MEDIA_ROOT = Path(
    env.str("DJANGO_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "crm.storage.PrivateStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("DJANGO_STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Attachments (KNW-4): stored under MEDIA_ROOT/attachments, never served by a
# public URL (downloads go through the owning record's scope). With
# CRM_ATTACHMENT_STORAGE=s3 they go to a private S3-compatible bucket through
# django-storages (pip install "django-storages[s3]", i.e. boto3; optional).
CRM_ATTACHMENT_STORAGE = env.str("CRM_ATTACHMENT_STORAGE", default="filesystem")
if CRM_ATTACHMENT_STORAGE == "s3":
    import importlib.util

    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured(
            "CRM_ATTACHMENT_STORAGE=s3 needs django-storages and boto3: pip install -e '.[s3]'"
        )
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("CRM_ATTACHMENT_S3_BUCKET"),
            "endpoint_url": env.str("CRM_ATTACHMENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("CRM_ATTACHMENT_S3_REGION", default="") or None,
            "location": "attachments",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif CRM_ATTACHMENT_STORAGE == "filesystem":
    STORAGES["attachments"] = {
        "BACKEND": "crm.attachments.storage.AttachmentFileSystemStorage",
    }
else:
    raise ImproperlyConfigured("CRM_ATTACHMENT_STORAGE must be 'filesystem' or 's3'.")
# Largest attachment in MB.
CRM_ATTACHMENT_MAX_MB = env.int("CRM_ATTACHMENT_MAX_MB", default=20)
# Dotted path of a callable ``(file) -> None`` that raises ValidationError to
# refuse a file (a virus scanner); empty: no scan.
CRM_ATTACHMENT_SCANNER = env.str("CRM_ATTACHMENT_SCANNER", default="")

# --- Email ------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 ; console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- The CRM ------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo12345")
# Where links in notification e-mails point (the address users open the CRM at).
CRM_BASE_URL = env.str("CRM_BASE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}
