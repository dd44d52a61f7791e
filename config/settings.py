"""Settings, read from the environment.

With no environment at all this is the embedded default (SQLite, kombu's filesystem broker, e-mail
to files under var/), good for `make run` and `make test`. Production sets DEBUG=false and must
then provide a real SECRET_KEY (checked at start-up).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
TESTING = env.bool("TESTING", default=False)

_INSECURE_KEY = "insecure-embedded-default-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY)
if not DEBUG and (SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in e-mails. Unset, it follows the port the embedded run serves: `make run` passes its
# PORT as SITE_PORT too, because honcho gives each process of the Procfile its own PORT (the
# worker PORT+100, beat PORT+200), and the worker renders e-mails as well.
SITE_URL = env.str(
    "SITE_URL",
    default=f"http://127.0.0.1:{env.int('SITE_PORT', default=env.int('PORT', default=8000))}",
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    # The audit trail (issue 19): who changed what, shown in the back office.
    "auditlog",
    # Order matters for `seed_demo`: each app's demo data may use the apps above it.
    "core",
    "notifications",
    "consult",
    "experts",
    "bookings",
    "events",
    "library",
    "exchange",
    "coordination",
    # Accounts (issue 17): above every app (export and deletion touch them all); before
    # allauth so that its templates and translations override allauth's.
    "accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ApiNotFoundMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "coordination.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.CoordinatorTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

# Benchmarks serve extra reference views (bench/_reference_urls.py) through this hook.
ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'consult.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database too: concurrency tests race real connections.
    # Named per process so that two test runs on one machine never share a database.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-consult-{os.getpid()}.sqlite3")}
    # IMMEDIATE transactions take the write lock at BEGIN: writers queue instead of failing
    # with "database is locked" on upgrade, which serialises booking writes (invariant 1).
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections: ~6x the throughput of reconnecting per request (DESIGN.md 3).
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    # Locks are waited on for a bounded time; a timeout becomes 409 "busy, try again".
    _db["OPTIONS"].setdefault("options", "-c lock_timeout=5000 -c statement_timeout=30000")
    _db["OPTIONS"].setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/Berlin"
# Reliability: a task is acknowledged only after it ran (a killed worker's task is redelivered),
# one message reserved per process at a time, and every task bounded in time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# On a lost broker connection, running tasks finish (their outbox claims make a redelivered
# copy a no-op) instead of being killed half-way; also silences Celery's pending-change warning.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Publishing happens after commit inside a request: with the broker down give up within about
# a second (the outbox sweep delivers later) instead of holding the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Redis redelivers an unacknowledged task after this; it is longer than any task (time limit
# 300 s), and no task is ever sent with a countdown/ETA (retries and reminders are rows the
# beat sweeps pick up), so nothing is redelivered while it still runs or waits.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_IS_FILESYSTEM:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The filesystem transport's fanout control queue breaks with several processes.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic work; every sweep is idempotent, so a missed or doubled beat does no harm.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "notifications-sweep-outbox": {"task": "notifications.sweep_outbox", "schedule": 60.0},
    "events-expire-holds": {"task": "events.expire_holds", "schedule": 300.0},
    "events-send-reminders": {"task": "events.send_reminders", "schedule": 900.0},
    "events-anonymise-participants": {
        "task": "events.anonymise_participants",
        "schedule": 24 * 3600.0,
    },
    "bookings-expire-holds": {"task": "bookings.expire_holds", "schedule": 60.0},
    "bookings-send-due-reminders": {"task": "bookings.send_due_reminders", "schedule": 60.0},
    "bookings-lapse-proposals": {"task": "bookings.lapse_proposals", "schedule": 60.0},
    "experts-sync-calendars": {"task": "experts.sync_due_calendars", "schedule": 300.0},
    "library-funding-deadline-reminders": {
        "task": "library.remind_funding_deadlines",
        "schedule": 24 * 3600.0,
    },
    "exchange-send-digests": {
        "task": "exchange.send_digests",
        "schedule": 24 * 3600.0,
    },
}

# --- auth, api --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- accounts: django-allauth (issue 17) --------------------------------------------------------
# Log in with user name or e-mail address (the page /login/ and the API token); no public
# sign-up: accounts come from approved applications, invitations or a coordinator (DESIGN.md
# invariant 6). allauth's e-mails go to the outbox (accounts/adapter.py) in the account's
# language; password reset and e-mail change never tell whether an address has an account.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # the link's page confirms with a button (mail scanners)
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env.int("EMAIL_CONFIRMATION_DAYS", default=3)
ACCOUNT_CHANGE_EMAIL = True  # a new address replaces the old one only once it is verified
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password was changed" and the like
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # this session stays; every other one ends
ACCOUNT_LOGOUT_ON_GET = False
# Counted in the cache (Redis in production): shared by every web process. The others stay
# allauth's: changing the password 5/min per account, e-mail changes 10/min, reset links
# opened 20/min per client, a confirmation mail at most every 3 minutes per address, 2FA codes
# 5 wrong per account in 5 minutes.
ACCOUNT_RATE_LIMITS = {
    "reset_password": env.str("RATE_RESET_PASSWORD", default="20/m/ip,5/h/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Netzwerk Bürgerhaushalt")
# Sign-up is closed, so nobody can hold an unverified address hostage with 2FA (allauth's
# reason for the default); and an account with 2FA may then change its address (verified).
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Coordinators must set up 2FA before using the service, except in the embedded run (DEBUG),
# where the demo coordinator logs in with its password alone.
MFA_REQUIRED_FOR_COORDINATORS = env.bool("MFA_REQUIRED_FOR_COORDINATORS", default=not DEBUG)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a request without (valid) credentials a
    # 401, as DESIGN.md 10 has it; with session first DRF answers 403 for "not logged in".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, plus who may call each operation and the error answers it can give.
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "public": env.str("THROTTLE_PUBLIC", default="60/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    # Throttles key on the client address: trust X-Forwarded-For only from this many proxies
    # (0 = none), else a made-up header per request would escape every rate limit.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "consult API",
    "DESCRIPTION": "Beratung und Buchung im Netzwerk Bürgerhaushalt / consultation and booking",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Distinct names for choice sets whose field names recur across apps (status, format, kind).
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.ConsultationBooking.Status",
        "BookingFormatEnum": "bookings.models.ConsultationBooking.Format",
        "AvailabilityExceptionKindEnum": "experts.models.AvailabilityException.Kind",
        "CalendarFeedKindEnum": ["expert", "municipality"],
        "ConsultationFormatEnum": "consult.choices.ConsultationFormat",
        "RequestStatusEnum": "consult.models.ConsultationRequest.Status",
        "LanguageEnum": "consult.choices.LANGUAGE_CHOICES",
        "EventKindEnum": "events.models.Event.Kind",
        "EventStatusEnum": "events.models.Event.Status",
        "EventAudienceEnum": "events.models.EventAudience",
        "RegistrationStatusEnum": "events.models.Registration.Status",
        "ResourceKindEnum": "library.models.Resource.Kind",
        "ResourceStatusEnum": "library.models.Resource.Status",
        "AssignmentStatusEnum": "experts.models.AssignmentProposal.Status",
        "MatchSourceEnum": "experts.models.MatchRecord.Source",
        "NotificationStatusEnum": "notifications.models.Notification.Status",
        "ThreadKindEnum": "exchange.models.Thread.Kind",
        "CalendarConnectionKindEnum": "experts.calendar_models.CalendarConnection.Kind",
    },
    "PREPROCESSING_HOOKS": ["config.schema.drop_slash_duplicates"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_component",
    ],
}

# Bodies beyond this are refused with 413 instead of being read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_048_576)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1_048_576)  # multipart (library files)

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
# English dates as written in Europe (config/formats/en/formats.py), not the American default.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- static, media ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
WHITENOISE_USE_FINDERS = DEBUG
for _folder in (
    VAR_DIR,
    STATIC_ROOT,
    VAR_DIR / "mail",
    BROKER_DIR / "queue",
    BROKER_DIR / "processed",
):
    _folder.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- e-mail -----------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_BACKEND = "notifications.mail_backend.PatientSmtpBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# The wait for the reply to a sent message (RFC 5321 suggests 10 minutes; see
# notifications/mail_backend.py). Bounded by the delivery task's time limit (checked below).
EMAIL_DATA_TIMEOUT = env.int("EMAIL_DATA_TIMEOUT", default=90)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="beratung@buergerhaushalt-netzwerk.de")
# The ORGANIZER of every invitation: DEFAULT_FROM_EMAIL under this name.
ORGANIZER_NAME = env.str("ORGANIZER_NAME", default="Netzwerk Bürgerhaushalt")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
REPLY_TO_EMAIL = env.str("REPLY_TO_EMAIL", default="netzwerk@buergerhaushalt-netzwerk.de")

# --- security (production) --------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- domain settings --------------------------------------------------------------------------
# Weights of the matcher's criteria (DESIGN.md 6); a coordinator tunes them here, not in code.
MATCHING_WEIGHTS = {
    "topics": env.float("MATCH_W_TOPICS", default=0.35),
    "experience": env.float("MATCH_W_EXPERIENCE", default=0.15),
    "language": env.float("MATCH_W_LANGUAGE", default=0.05),
    "format": env.float("MATCH_W_FORMAT", default=0.05),
    "region": env.float("MATCH_W_REGION", default=0.10),
    "availability": env.float("MATCH_W_AVAILABILITY", default=0.15),
    "load": env.float("MATCH_W_LOAD", default=0.10),
    "feedback": env.float("MATCH_W_FEEDBACK", default=0.05),
    "distance": env.float("MATCH_W_DISTANCE", default=0.05),
}
# seed_demo creates logins with the password "demo": never where this is false.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=DEBUG)
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=10)
# How long an expert's counter-proposal holds its slots at most (it lapses earlier when its first
# slot comes within the expert's minimum notice): bookings/proposals.py.
BOOKING_PROPOSAL_HOLD = timedelta(hours=env.int("BOOKING_PROPOSAL_HOLD_HOURS", default=72))
REGISTRATION_HOLD_HOURS = env.int("REGISTRATION_HOLD_HOURS", default=24)
PARTICIPANT_DATA_RETENTION_DAYS = env.int("PARTICIPANT_DATA_RETENTION_DAYS", default=90)
# Experts' own calendars (issue 18). The fetcher refuses private, loopback and link-local hosts
# unless this allows them (the embedded run and an intranet Nextcloud). Passwords are encrypted
# with a Fernet key derived from CALENDAR_SECRET_KEY (unset: from SECRET_KEY; changing it makes
# stored passwords unreadable, and the expert is asked to enter them again).
CALENDAR_ALLOW_PRIVATE_HOSTS = env.bool("CALENDAR_ALLOW_PRIVATE_HOSTS", default=DEBUG)
CALENDAR_SECRET_KEY = env.str("CALENDAR_SECRET_KEY", default="")
CALENDAR_SYNC_MINUTES = env.int("CALENDAR_SYNC_MINUTES", default=15)
# Online rooms. "jitsi": an unguessable room name under MEETING_BASE_URL (a Jitsi room exists once
# someone joins). "bbb": the service's own link /raum/<room>/, which creates the meeting on the
# BigBlueButton server at BBB_URL and sends each person on with a join URL signed by BBB_SECRET.
# An expert's standing room (profile) wins over both.
MEETING_PROVIDER = env.str("MEETING_PROVIDER", default="jitsi").strip().lower()
MEETING_BASE_URL = env.str("MEETING_BASE_URL", default="https://meet.jit.si/")
BBB_URL = env.str("BBB_URL", default="").strip()
BBB_SECRET = env.str("BBB_SECRET", default="").strip()
BBB_CHECKSUM = env.str("BBB_CHECKSUM", default="sha256").strip().lower()
BBB_TIMEOUT = env.float("BBB_TIMEOUT", default=5.0)
if MEETING_PROVIDER not in ("jitsi", "bbb"):
    raise ImproperlyConfigured(
        f"MEETING_PROVIDER must be 'jitsi' or 'bbb', not {MEETING_PROVIDER!r}."
    )
if MEETING_PROVIDER == "bbb" and not (BBB_URL.startswith(("https://", "http://")) and BBB_SECRET):
    raise ImproperlyConfigured(
        "MEETING_PROVIDER=bbb needs BBB_URL (the server's API base, e.g. "
        "https://bbb.example.org/bigbluebutton/) and BBB_SECRET (its shared secret: "
        "`bbb-conf --secret` on the server)."
    )
if BBB_CHECKSUM not in ("sha1", "sha256", "sha384", "sha512"):
    raise ImproperlyConfigured("BBB_CHECKSUM must be one of sha1, sha256, sha384, sha512.")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
# A delivery task stops taking new messages after this many seconds and hands the rest back;
# the message started last may still wait a connect and a DATA reply, all below the soft time
# limit. A claim outlives the hard time limit, so only the claims of a dead worker ever expire
# (and are then taken over by the sweep).
NOTIFICATION_BATCH_SECONDS = env.int("NOTIFICATION_BATCH_SECONDS", default=120)
if NOTIFICATION_BATCH_SECONDS + EMAIL_TIMEOUT + EMAIL_DATA_TIMEOUT >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "NOTIFICATION_BATCH_SECONDS + EMAIL_TIMEOUT + EMAIL_DATA_TIMEOUT must stay below "
        f"the delivery task's soft time limit ({CELERY_TASK_SOFT_TIME_LIMIT} s)."
    )
NOTIFICATION_LEASE_SECONDS = CELERY_TASK_TIME_LIMIT + 60
REMINDER_CONSULTATION_HOURS = [24, 1]
REMINDER_EVENT_HOURS = [48]
# Forum (exchange/): attachment size, and the flood limit for accounts younger than N days.
EXCHANGE_ATTACHMENT_MAX_BYTES = env.int("EXCHANGE_ATTACHMENT_MAX_BYTES", default=5 * 1_048_576)
EXCHANGE_NEW_ACCOUNT_DAYS = env.int("EXCHANGE_NEW_ACCOUNT_DAYS", default=7)
EXCHANGE_NEW_ACCOUNT_POSTS_PER_HOUR = env.int("EXCHANGE_NEW_ACCOUNT_POSTS_PER_HOUR", default=5)

# --- membership (issue 17: consult/membership.py, consult/people.py) --------------------------
# How long the e-mailed links work: confirming an application's address, setting the first
# password of an approved applicant or invited colleague, accepting an invitation.
MEMBERSHIP_CONFIRM_HOURS = env.int("MEMBERSHIP_CONFIRM_HOURS", default=72)
MEMBERSHIP_SET_PASSWORD_HOURS = env.int("MEMBERSHIP_SET_PASSWORD_HOURS", default=7 * 24)
MEMBERSHIP_INVITATION_DAYS = env.int("MEMBERSHIP_INVITATION_DAYS", default=14)
# Applications per client address: the API's throttle scope and the join page's own limit.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["membership"] = env.str(
    "THROTTLE_MEMBERSHIP", default="10/hour"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "OrganisationKindEnum": "consult.choices.OrganisationKind",
        "MembershipLanguageEnum": [("de", "Deutsch"), ("en", "English")],
        "MembershipApplicationStatusEnum": "consult.models.MembershipApplication.Status",
        "PersonRoleEnum": "consult.models.StaffMembership.Role",
    }
)

# The audit trail (django-auditlog): no client address (X-Forwarded-For is the client's word,
# and an address is personal data the trail does not need); who and when is enough.
AUDITLOG_DISABLE_REMOTE_ADDR = True
