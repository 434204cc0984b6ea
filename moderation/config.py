"""Configuration defaults.

Order of precedence (later wins): these defaults, ``instance/config.py``,
environment variables prefixed ``MODERATION_`` (``MODERATION_SECRET_KEY``,
``MODERATION_RATELIMIT_ENABLED=false``; values are parsed as JSON when they can
be), and ``DATABASE_URL`` and ``REDIS_URL``. Nothing here touches the disk or the network: the
factory resolves paths against the instance folder.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

#: The repository (or installed tree): templates/, training/ and the default instance/ folder sit here.
ROOT = Path(__file__).resolve().parent.parent
#: The model copied into an empty registry on first run.
DEFAULT_MODEL_DIR = ROOT / "training" / "default_model"


def database_url(url: str | None, instance: Path) -> str:
    """The SQLAlchemy URL for DATABASE_URL: SQLite in the instance folder when unset."""
    if not url:
        return f"sqlite:///{instance / 'moderation.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Defaults:
    #: Filled in by the factory from instance/secret_key when not configured. Several servers
    #: must share one (MODERATION_SECRET_KEY), or each refuses the others' sessions and forms.
    SECRET_KEY: str | None = None
    #: None means SQLite at instance/moderation.sqlite3.
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: No pool_pre_ping: it cost a database round trip on every request. A pooled
    #: connection that died with a database restart fails one request with a 503
    #: (the reader's text kept), SQLAlchemy then replaces every pooled connection,
    #: and the next request works (tests/web/test_faults.py).
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    #: Redis for several servers (e.g. redis://10.0.0.5:6379/0, or REDIS_URL): rate-limit counters
    #: and the queue of training jobs. None: counters per process, jobs as processes of the web server.
    REDIS_URL: str | None = None
    #: The RQ queue ``flask --app moderation worker`` takes training jobs from.
    RQ_QUEUE = "moderation-training"
    #: A training job still running after this long is stopped by its worker (and marked failed).
    JOB_TIMEOUT_SECONDS = 6 * 3600

    #: Whole-request cap: a 5,000-character comment plus its fields fits easily.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_FORM_MEMORY_SIZE = 64 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: CSRF tokens last as long as the session, so a reader who writes slowly
    #: is not punished for it.
    WTF_CSRF_TIME_LIMIT = None
    #: Number of proxies in front of the app whose X-Forwarded-For is trusted.
    PROXY_FIX_X_FOR = 0

    # --- Comments --------------------------------------------------------
    COMMENT_MAX_LENGTH = 5000
    AUTHOR_MAX_LENGTH = 100
    COMMENT_MAX_DEPTH = 5
    COMMENTS_PER_PAGE = 50
    #: Same text from the same email on the same article within this window
    #: is a duplicate.
    DUPLICATE_WINDOW_SECONDS = 600
    #: A new comment's follow-up (near-duplicate grouping, shadow scoring) runs after the response; a worker
    #: killed before it ran leaves it to the sweep, which each worker runs at its first request and then at
    #: most this often, on follow-ups older than the grace (younger ones are still running where they began).
    FOLLOW_UP_SWEEP_SECONDS = 120
    FOLLOW_UP_GRACE_SECONDS = 30
    #: A follow-up that fails this many times is left (logged); its comment stays ungrouped in the queue.
    FOLLOW_UP_MAX_ATTEMPTS = 5
    #: How many of the reader's own comment ids the session remembers, so a
    #: held comment shows as "awaiting moderation" in their browser only.
    OWN_COMMENTS_REMEMBERED = 50

    #: This service's public address, e.g. "https://comments.example.org": the links
    #: in emails and the site URL of WXR exports. None: emails are not sent, exports say http://localhost.
    BASE_URL: str | None = None

    #: Sites whose pages may post comments through the JSON API (embed.js),
    #: as origins: ["https://www.example-news.org"]. Reading needs no entry.
    EMBED_ORIGINS: list[str] = []

    # --- Readers help moderate: reports and authors' edits ----------------------
    #: Readers whose reports, weighed (README, "Reports"), add up to this many distinct reporters hide a
    #: published comment from readers until a moderator decides.
    REPORT_HIDE_AFTER = 3
    #: A report on a published comment whose score for a label is at or above this share of that label's
    #: review threshold (its "note point") sends it back to Pending at once.
    REPORT_NOTE_SHARE = 0.5
    #: What one reader's upheld report adds to the weight of the moderator's label on that comment
    #: (the label itself weighs DECISION_WEIGHT, as any decision).
    REPORT_LABEL_WEIGHT = 2.0
    #: Per IP, over all comments.
    REPORT_RATE_LIMIT = "10 per minute; 100 per day"
    #: How long after posting an author may edit or delete their comment (0: never).
    EDIT_WINDOW_SECONDS = 15 * 60

    # --- Rate limits (Flask-Limiter) ---------------------------------------
    RATELIMIT_ENABLED = True
    #: None: REDIS_URL when it is set, so every worker of every server counts together, else
    #: "memory://" (each process counts alone: enough on one machine, and nothing else to run).
    RATELIMIT_STORAGE_URI: str | None = None
    #: If Redis stops answering, each process counts in memory until it is back, rather than refuse posts.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    COMMENT_RATE_LIMIT = "5 per minute; 60 per hour"
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"

    # --- Model and routing -----------------------------------------------
    #: This machine's cache of the model versions kept in the database; relative paths are
    #: inside the instance folder.
    MODELS_DIR = "models"
    #: Per-label overrides of the model card's thresholds, e.g.
    #: {"spam": {"review": 0.4, "high": 0.98}}.
    THRESHOLDS: dict[str, dict[str, float]] = {}
    MAX_LINKS = 2
    #: Words that hold a comment for a moderator (WordPress "Comment Moderation").
    #: Both lists match whole words ("ass" spares "class"); "viagra*" matches a
    #: prefix; disguises (accents, look-alike letters, "c1alis") are seen through.
    MODERATION_WORDS: list[str] = []
    #: Words that send a comment to spam (WordPress "Disallowed Comment Keys").
    BLOCK_WORDS: list[str] = []
    #: An email with an approved comment is trusted for borderline scores.
    TRUST_APPROVED_AUTHORS = True
    #: Spam rejections after which the queue offers to ban an author.
    BAN_SUGGESTION_AFTER = 3
    #: How much one moderator decision weighs against one public example.
    DECISION_WEIGHT = 10.0
    #: How much one label from ``import-comments --labels`` weighs (an old site's
    #: "approved" was often automatic, so less than a moderator's decision).
    IMPORT_LABEL_WEIGHT = 2.0
    #: Public data a full refit of the base model reads (``flask train --decisions --full``), as FORMAT:PATH
    #: specs; relative paths are resolved against the project root. The same sources as the shipped model
    #: (``python -m training.default_model``), so a refit is never a narrower base than the one that ships.
    #: A newsroom's server does not have them: Retrain and site learning never read them.
    TRAINING_DATA: list[str] = [
        "csv:training/data",
        "youtube:../shared/datasets/youtube-spam",
        "sms:../shared/datasets/sms-spam",
        "olid:../shared/datasets/olid",
        "davidson:../shared/datasets/davidson-hate-offensive",
        "civil:../shared/datasets/toxic-spans-civil",
        "stormfront:../shared/datasets/stormfront-hate",
        "hatexplain:../shared/datasets/hatexplain",
        "wikitalk:../shared/datasets/wiki-talk-cat",
    ]

    # --- Site learning (model/site_learning.py) ------------------------------
    #: A site candidate is trained in the background after this many new labels (decisions,
    #: spot-checks, imports, reports)...
    SITE_LEARNING_EVERY = 200
    #: ...or this many hours after the first label since the last run, whichever comes first. 0: never by itself.
    SITE_LEARNING_HOURS = 24
    #: Fewer labels than this cannot be measured (five folds of two each): Retrain says so instead.
    SITE_LEARNING_MIN_LABELS = 10

    # --- Moderator's workbench ---------------------------------------------
    #: Share of the comments the model publishes unseen that are drawn for a
    #: moderator's spot-check (the queue's Spot-check tab), from 0 to 1.
    SPOTCHECK_SHARE = 0.01

    # --- Email (flask send-mail sends what is queued; nothing is sent without MAIL_SERVER) ----
    #: SMTP host; None (the default) means no email is queued or sent.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    #: STARTTLS after connecting (port 587), or TLS from the start (port 465).
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT_SECONDS = 10
    MAIL_FROM = "comments@localhost"
    #: Moderators get a digest of newly held comments at most this often; 0 switches digests off.
    MAIL_DIGEST_MINUTES = 60
    #: Who gets the digest; empty means every active moderator account.
    MAIL_DIGEST_TO: list[str] = []
    #: A failed send is retried after MAIL_RETRY_SECONDS, then twice as long each time, this many times in all.
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_SECONDS = 60

    # --- Akismet-compatible API (/1.1/comment-check ...) ---------------------
    #: Per API key, over all four endpoints: a busy site's comments plus its reports.
    AKISMET_RATE_LIMIT = "120 per minute; 3000 per hour"
