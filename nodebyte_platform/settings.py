"""NodeByte Platform settings: one module, every value from the environment.

Defaults give a zero-setup demo (SQLite, tasks in-process, local-memory cache).
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and EMAIL_URL; with
DEBUG off a missing SECRET_KEY, ALLOWED_HOSTS or EMAIL_URL stops start-up with one line.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _require(name: str) -> None:
    """Stop start-up with a one-line message when a production variable is missing."""
    sys.stderr.write(f"ImproperlyConfigured: {name} must be set when DEBUG is off.\n")
    raise SystemExit(2)


if DEBUG:
    # `or`: a variable that is set but empty still falls back to the demo value.
    SECRET_KEY = env("SECRET_KEY", default="") or "django-insecure-demo-only-never-in-production"
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[]) or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:
        _require("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        _require("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Old keys, newest first, during a rotation: sessions, signed tokens and the
# encrypted fields (whose keys derive from SECRET_KEY) stay readable.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# Secrets at rest (django-fernet-encrypted-fields). Rotating: prepend a new salt.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["nodebyte-field-salt-v1"])

# --- Applications -----------------------------------------------------------------

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "hijack",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.discord",
    "allauth.socialaccount.providers.google",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "django_celery_beat",
    "constance",
    "simple_history",
    "pgtrigger",
    "django_htmx",
    "csp",
    # The kernel: the job runner's records (JobRun); it imports no app.
    "nodebyte_platform",
    "accounts",
    "ledger",
    "games",
    "loyalty",
    "billing",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself: the policy is for pages. Before the
    # rest, so that it sees every response they make.
    "nodebyte_platform.csp.PathPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # CommonMiddleware without its slash-appending redirect under /api/ and /o/ (nodebyte_platform.http).
    "nodebyte_platform.http.ApiAwareCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff viewing the portal as a player: hijack swaps the user; ours keeps it read-only and brief.
    "hijack.middleware.HijackUserMiddleware",
    "accounts.impersonation.ImpersonationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.TokenEndpointLockoutMiddleware",
    # Axes must be last so that it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nodebyte_platform.urls"
WSGI_APPLICATION = "nodebyte_platform.wsgi.application"
ASGI_APPLICATION = "nodebyte_platform.asgi.application"

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
                "constance.context_processors.config",
                "support.context_processors.notifications",
            ],
        },
    },
]

# --- Data stores --------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # SQLite: wait for a lock instead of failing at once when a demo task writes.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering must fail fast, not hang every request.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # no broker: run tasks in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Redis hands a message that is not acknowledged within visibility_timeout to another worker, and
# tasks acknowledge late: a timeout below a task's run (Celery's default is one hour, whatever the
# time limit) runs it twice at once. Twice the hard limit also covers a message that waited in a
# worker's prefetch behind another task; a task with its own longer time_limit needs more here.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth ---------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept to verify imported bcrypt hashes (seed 000); upgraded to Argon2 on login.
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Staff viewing the portal as a player (accounts.impersonation): who may, and for how long.
HIJACK_PERMISSION_CHECK = "accounts.impersonation.may_impersonate"
HIJACK_INSERT_BEFORE = None  # the portal's base template shows its own banner (no inline styles under the CSP)
IMPERSONATION_MINUTES = env.int("IMPERSONATION_MINUTES", default=15)

# Email pattern every player's address must match (seed 002's institute-only rule
# is one value: r"^\d{2}f\d{7}@ds\.study\.iitm\.ac\.in$").
ACCOUNTS_EMAIL_PATTERN = env("ACCOUNTS_EMAIL_PATTERN", default=r"^.+@.+$")

# django-allauth
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.PlayerSignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_REDIRECT_URL = "portal:home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[NodeByte] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Failed password logins are locked by axes alone (accounts.adapters.AccountAdapter.pre_authenticate);
# allauth's "login_failed" limiter is left to MFA codes, counted per user. allauth's other limits
# ("login": 30/m per address, sign-up, password reset...) stay at its defaults.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key"}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# Discord and Google credentials are SocialApp rows, entered in admin (Social applications).
SOCIALACCOUNT_PROVIDERS = {
    "discord": {"SCOPE": ["identify", "email"]},
    "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "NodeByte Platform"
USERSESSIONS_TRACK_ACTIVITY = True
# Staff reach /admin/ only once they have a TOTP authenticator (accounts.middleware).
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=True)

# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the entry of
# X-Forwarded-For that the outermost one appended. One setting for allauth (rate limits, user
# sessions) and axes (through accounts.axes.client_address). AXES_PROXY_COUNT is its old name.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# django-axes: lock the (username, client address) pair so nobody can lock a real user out from
# elsewhere. The portal login (the admin login redirects to it, so MFA applies there too) goes
# through authenticate(); the OAuth2 token endpoint is covered by accounts.middleware.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.axes.login_key"
# Not AXES_IPWARE_PROXY_COUNT: axes reads it only through django-ipware, which is not installed.
AXES_CLIENT_IP_CALLABLE = "accounts.axes.client_address"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"

# --- Partner OAuth2 (django-oauth-toolkit) ------------------------------------------

OAUTH2_SCOPES = {
    "catalog:read": "Read the partner's games, credit types and packages",
    "profile:read": "Read the player's public profile",
    "wallet:read": "Read the player's balances and history",
    "purchases:write": "Buy packages with the player's coins",
    "credits:spend": "Spend the player's game credits",
    "credits:grant": "Grant game credits to players",
    "sessions:write": "Start and end game sessions and place bets",
    "bets:settle": "Settle bets of the studio's games (the game's server, client credentials only)",
    "loyalty:read": "Read the player's loyalty status",
    "webhooks:manage": "Register and manage the partner's webhook endpoints and replay deliveries",
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.PartnerApplication"
# A refresh token rotated less than this ago may be used once more (two refreshes racing, a client
# retrying a lost answer): it gets a fresh pair of its own (nodebyte_platform.oauth). A replay
# after the window revokes the whole token family (DOT's reuse protection).
OAUTH2_REFRESH_RETRY_GRACE_SECONDS = 30
OAUTH2_PROVIDER = {
    "SCOPES": OAUTH2_SCOPES,
    "DEFAULT_SCOPES": ["catalog:read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 60 * 60 * 24 * 30,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # DOT's own grace period would hand back the earlier pair, which hashed storage cannot do (its
    # check E001 refuses the combination): OAUTH2_REFRESH_RETRY_GRACE_SECONDS below takes its place.
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if DEBUG else ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "OAUTH2_VALIDATOR_CLASS": "nodebyte_platform.oauth.PartnerOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "nodebyte_platform.oauth.PartnerScopes",
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": 10000,
    # RFC 9700 (OAuth 2.0 Security BCP), so `check --deploy` is clean: no tokens in query
    # strings, send `iss` with authorization responses, keep only token checksums at rest.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# --- API ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["nodebyte_platform.api.auth.CachedTokenAuthentication"],
    # Each view names its scopes (nodebyte_platform.api.auth.ScopedToken); nothing is open by default.
    "DEFAULT_PERMISSION_CLASSES": ["nodebyte_platform.api.auth.ScopedToken"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["nodebyte_platform.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "nodebyte_platform.api.pagination.CursorPage",
    "DEFAULT_THROTTLE_CLASSES": ["nodebyte_platform.api.throttling.ApplicationRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"application": env("API_THROTTLE_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "nodebyte_platform.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
# How the kernel's API plumbing reaches the apps it may not import (nodebyte_platform.api.auth).
PARTNER_API = {
    "TOKEN_RELATED": ["user__customer", "application__partner"],
    # Why an application may not act now (its partner suspended): checked at the token endpoint
    # and on every API request.
    "APPLICATION_REFUSAL": "accounts.selectors.partner_refusal",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NodeByte Platform partner API",
    "DESCRIPTION": (
        "Partner API v1: catalog, wallets, purchases, credits, sessions, bets, loyalty.\n\n"
        "Authenticate with OAuth2 at /o/: client credentials for a partner acting as itself, "
        "authorization code with PKCE (S256) for a player who consented. Money travels as decimal "
        "strings; every POST needs an Idempotency-Key header. Errors share one body: "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "OAUTH2_FLOWS": ["clientCredentials", "authorizationCode"],
    "OAUTH2_AUTHORIZATION_URL": "/o/authorize/",
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_REFRESH_URL": "/o/token/",
    "OAUTH2_SCOPES": OAUTH2_SCOPES,
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN: works offline and under the
    # Content-Security-Policy (templates/drf_spectacular/swagger_ui.html gives its inline blocks a nonce).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SessionResultEnum": "games.models.SessionResult",
        "BetOutcomeEnum": "games.models.BetOutcome",
        "TransferKindEnum": "ledger.models.TransferKind",
    },
}

# --- Runtime config (seed 004 `config`) ---------------------------------------------

CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
# Editable by the admin role's Group permission (constance.change_config), not only superusers.
CONSTANCE_SUPERUSER_ONLY = False
CONSTANCE_CONFIG = {
    "SITE_NAME": ("NodeByte Platform", "Name shown to players and staff", str),
    "SUPPORT_EMAIL": ("support@nodebyte.example", "Where players can write", str),
    "MAINTENANCE_MODE": (False, "Show a maintenance banner in the portal", bool),
    "ADJUSTMENT_APPROVAL_THRESHOLD": (
        "1000.00",
        "Manual ledger adjustments above this amount wait for a second accounting user",
        str,
    ),
    "LOW_BALANCE_DEFAULT_THRESHOLD": ("10.00", "Default low-balance notice threshold", str),
    "INVOICE_DUE_DAYS": (7, "Days between a renewal invoice and its due date", int),
    "SUSPEND_AFTER_OVERDUE_DAYS": (3, "Days overdue before a server is suspended", int),
    "TERMINATE_AFTER_SUSPENDED_DAYS": (14, "Days suspended before a server is terminated", int),
    # Payments (issue 12): money in and out.
    "BANK_PAYMENT_APPROVAL_THRESHOLD": (
        "500.00",
        "Manual bank-transfer payments above this amount wait for a second accounting user",
        str,
    ),
    "CHECKOUT_EXPIRY_MINUTES": (60, "Minutes before an unpaid checkout is cancelled", int),
    "WITHDRAWAL_SECOND_APPROVAL_THRESHOLD": (
        "200.00",
        "Withdrawals above this amount need a second accounting approver",
        str,
    ),
    "WITHDRAWAL_LIMIT_DAY": ("500.00", "Most a player may withdraw per day (standard players)", str),
    "WITHDRAWAL_LIMIT_WEEK": ("2000.00", "Most a player may withdraw per week (standard players)", str),
    "WITHDRAWAL_LIMIT_MONTH": ("5000.00", "Most a player may withdraw per month (standard players)", str),
    "WITHDRAWAL_LIMIT_FACTOR_GOLD": ("2", "Gold VIP players' withdrawal limits are this many times the standard", str),
    "WITHDRAWAL_LIMIT_FACTOR_NEW": (
        "0.5",
        "Players without a VIP level get this fraction of the standard withdrawal limits",
        str,
    ),
    "WITHDRAWAL_REVIEW_HOURS": (24, "A withdrawal within this many hours of a bonus or deposit is flagged", int),
    "AUTO_TOPUP_DAILY_CAP": ("200.00", "Most that auto top-up charges one player per day", str),
    "AUTO_TOPUP_MAX_FAILURES": (3, "Failed auto top-up charges in a row before it is switched off", int),
    # Support (support/config.py reads and checks these).
    "SUPPORT_SLA_HOURS": (
        '{"low": [48, 120], "medium": [24, 72], "high": [8, 24], "urgent": [2, 8]}',
        "Ticket SLA per priority as JSON: [hours to first response, hours to resolution]",
        str,
    ),
    "TICKET_AUTO_CLOSE_DAYS": (7, "Days waiting on the customer before a ticket closes itself", int),
    "TICKET_REOPEN_DAYS": (
        30,
        "A player's reply reopens a ticket closed fewer days ago than this; after it they open a new one",
        int,
    ),
    "TICKET_ATTACHMENT_MAX_MB": (5, "Largest ticket attachment, in MB", int),
    "TICKET_ATTACHMENT_RETENTION_DAYS": (90, "Days after a ticket closes before its attachments are deleted", int),
    "LOW_BALANCE_REPEAT_HOURS": (24, "Hours before the same low-balance notice may be sent again", int),
    "WEBHOOK_RETRY_SCHEDULE": (
        "5s,5m,30m,2h,5h,10h",
        "Delays between webhook delivery attempts (s, m, h, d); after the last one a delivery fails",
        str,
    ),
    "WEBHOOK_DISABLE_AFTER_DAYS": (5, "Days an endpoint may fail every delivery before it is disabled", int),
    "WEBHOOK_SECRET_OVERLAP_HOURS": (24, "Hours a rotated webhook secret keeps signing beside the new one", int),
}
# Keys of CONSTANCE_CONFIG that are safe to show to players (seed 004 `is_public`).
CONSTANCE_PUBLIC_KEYS = ["SITE_NAME", "SUPPORT_EMAIL", "MAINTENANCE_MODE"]

# The loyalty engine (issue 15): thresholds and rates a loyalty manager tunes in Config.
CONSTANCE_CONFIG |= {
    "LOYALTY_HOLD_SEVERITY": (
        5,
        "New rewards wait for review while a player has unresolved abuse signals this severe (1-10)",
        int,
    ),
    "LOYALTY_SEGMENT_NEW_MAX_BETS": (10, "Players with fewer settled bets than this are NEW", int),
    "LOYALTY_SEGMENT_VIP_DEPOSIT_MIN": ("5000.00", "Players who deposited at least this are VIP", str),
    "LOYALTY_SEGMENT_WINNING_PNL_MIN": ("50.00", "Players up at least this much are WINNING", str),
    "LOYALTY_SEGMENT_LOSING_LOSS_MIN": ("50.00", "Players down at least this much are LOSING", str),
    "LOYALTY_TIER_WINDOW_DAYS": (90, "Tiers follow the LP earned in this many days", int),
    "LOYALTY_TIER_DOWNGRADE": ("after_days", "Tier downgrades: never, automatic or after_days", str),
    "LOYALTY_TIER_DOWNGRADE_DAYS": (30, "Days below a tier before moving down (after_days)", int),
    "LOYALTY_LP_RATES": ('{"default": "0.10"}', "LP per unit staked, by game type (JSON with a default)", str),
    "LOYALTY_REDEEM_RP_PER_LP": ("0.50", "RP a player gets per LP redeemed", str),
    "LOYALTY_REDEEM_COIN_PER_LP": ("0.01", "Coins a player gets per LP redeemed", str),
    "LOYALTY_LP_VALIDITY_DAYS": (365, "LP older than this expires, oldest first (0: never)", int),
    "LOYALTY_BONUS_CONVERTS_TO": ("COIN", "Asset a bonus converts to once its wagering is met", str),
    "LOYALTY_ADJUST_MAX": ("10000", "Largest single staff points adjustment", str),
    "LOYALTY_BONUS_HUNT_HOURS": (48, "Deposit, bonus and withdrawal within this many hours is bonus hunting", int),
    "LOYALTY_REFERRAL_RING_MIN": (5, "Invitees of one player that make a referral ring signal", int),
    "LOYALTY_WIN_RATIO_MAX": ("5.0", "A win/loss ratio above this is abnormal", str),
    "LOYALTY_WIN_RATIO_MIN_BETS": (20, "Bets before the win/loss ratio detector looks at a player", int),
}

# --- Email --------------------------------------------------------------------------

# Lower-case: not a setting, so the password in it never shows on a debug page.
_email_url = env("EMAIL_URL", default="")
if not _email_url:
    # The demo prints mail to the console; in production that would put password-reset links in the logs.
    if not DEBUG:
        _require("EMAIL_URL")
    _email_url = "consolemail://"
vars().update(env.email_url_config(_email_url))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="NodeByte Platform <no-reply@nodebyte.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the portal is reached from outside: links in notification emails start with it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Static, media, i18n ------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Ticket attachments: outside MEDIA_ROOT and never served as static files (support.storage).
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4; nodebyte_platform.csp). Everything the portal, the OAuth
# pages and Swagger UI load comes from this site; their few inline blocks carry the request's nonce.
# Forms post to this site, whose social-login views then redirect to the providers' sign-in pages.
SOCIAL_LOGIN_ORIGINS = ["https://discord.com", "https://accounts.google.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # allauth's TOTP QR code and Swagger UI's icons are data: images
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF, *SOCIAL_LOGIN_ORIGINS],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
CONTENT_SECURITY_POLICY_BY_PATH = {
    # django-unfold's templates are built on Alpine.js expressions (x-data="theme(...)", arrow
    # functions, localStorage) that only Alpine's standard build runs, and it compiles them with
    # Function(): 'unsafe-eval'. Alpine's CSP build refuses globals and functions, which unfold's
    # sidebar, theme, tabs and search use. Unfold also writes inline <style> blocks and style
    # attributes, which no nonce can cover: 'unsafe-inline' for styles, not scripts.
    "/admin/": {"script-src": [SELF, UNSAFE_EVAL], "style-src": [SELF, UNSAFE_INLINE]},
    # The consent form posts here, and the answer redirects to the partner's registered redirect
    # URI, which may be any https origin (http too with DEBUG on, as redirect URIs may be then).
    "/o/authorize/": {"form-action": [SELF, "https:", *(["http:"] if DEBUG else [])]},
    # Paying: the coin shop and top-up forms post here and are redirected to Stripe Checkout.
    "/pay/": {"form-action": [SELF, "https://checkout.stripe.com"]},
}
SILENCED_SYSTEM_CHECKS = []

# Outbound webhooks (support.webhooks): in production a delivery never reaches a private,
# loopback or link-local address, whatever the URL's name resolves to.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RESPONSE_BODY_LIMIT = 4096

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes announces its configuration at INFO on every start; keep its warnings only.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Admin theme --------------------------------------------------------------------

UNFOLD = {
    "SITE_TITLE": "NodeByte back office",
    "SITE_HEADER": "NodeByte",
    "SITE_SYMBOL": "sports_esports",
    "SHOW_HISTORY": True,
}

# --- Payments (billing.gateways) ----------------------------------------------------

# Stripe is on only with both keys; without them the portal offers the sandbox gateway alone.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# The sandbox gateway hands out coins for test cards: on by default only with DEBUG (the demo).
PAYMENT_SANDBOX_ENABLED = env.bool("PAYMENT_SANDBOX_ENABLED", default=DEBUG)
# Which gateway the portal's coin shop and top-up use: "sandbox" (the demo's) or "stripe".
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="sandbox")
# Where the sandbox gateway delivers its signed events (default: this site's /webhooks/sandbox/,
# built from the request that made the choice on the hosted page).
SANDBOX_EVENTS_URL = env("SANDBOX_EVENTS_URL", default="")
# Game panels (games/hosting/panels): every call's timeout, retries on 429/5xx and timeouts with
# growing waits (or what Retry-After asks, capped), and a client-side rate limit under the panel's
# own (Pterodactyl allows 240 requests a minute per key by default).
PANEL_HTTP_TIMEOUT_SECONDS = env.float("PANEL_HTTP_TIMEOUT_SECONDS", default=10.0)
PANEL_MAX_RETRIES = env.int("PANEL_MAX_RETRIES", default=3)
PANEL_RETRY_BASE_SECONDS = env.float("PANEL_RETRY_BASE_SECONDS", default=0.5)
PANEL_RETRY_MAX_WAIT_SECONDS = env.float("PANEL_RETRY_MAX_WAIT_SECONDS", default=30.0)
PANEL_RATE_LIMIT_PER_MINUTE = env.int("PANEL_RATE_LIMIT_PER_MINUTE", default=200)
