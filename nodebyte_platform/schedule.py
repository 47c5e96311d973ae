"""The beat schedule, defined in code.

`celery.py` sets `app.conf.beat_schedule` from `BEAT_SCHEDULE`; django-celery-beat's
DatabaseScheduler writes every entry into its tables when beat starts, where staff
can read, pause or re-time it in admin. `celery.sync_beat_schedule()` does the same write
without starting beat (seed_demo calls it so the demo admin shows the schedule). This module
is data only: it imports nothing of the project.

Every entry names a job of the job runner (`nodebyte_platform.jobs`, declared with `@job` in an
app's tasks.py), which records each run as a JobRun and lets one run of a job at a time.
Every job here is idempotent per period and safe to run twice at once. Each entry
sets `expire_seconds` (the option DatabaseScheduler stores) well below its period,
so runs queued behind a stopped worker are dropped instead of piling up.
"""

from celery.schedules import crontab

MINUTE = 60
HOUR = 60 * MINUTE

BEAT_SCHEDULE: dict[str, dict] = {
    # Metered play: extend or end every running session; runs every minute, so a run that
    # waited longer than that is superseded by the next one.
    "games: expire metered sessions": {
        "task": "games.expire_metered_sessions",
        "schedule": MINUTE,
        "options": {"expire_seconds": 50},
    },
    # Reactions to domain events that failed or were never queued, when their next attempt is due.
    "platform: retry reactions": {
        "task": "nodebyte_platform.retry_reactions",
        "schedule": MINUTE,
        "options": {"expire_seconds": 50},
    },
    "accounts: clear expired OAuth tokens": {
        "task": "accounts.clear_expired_oauth_tokens",
        "schedule": crontab(minute=30, hour=4),
        "options": {"expire_seconds": 12 * HOUR},
    },
    # A view as a player whose staff member closed the browser gets its "ended" audit row.
    "accounts: end expired impersonations": {
        "task": "accounts.end_expired_impersonations",
        "schedule": 5 * MINUTE,
        "options": {"expire_seconds": 4 * MINUTE},
    },
    "ledger: reconcile": {
        "task": "ledger.reconcile_ledger",
        "schedule": crontab(minute=15, hour=3),
        "options": {"expire_seconds": 12 * HOUR},
    },
    # Payments (billing.tasks): unpaid checkouts past their expiry are cancelled; auto top-ups
    # charge players under their threshold; payouts still processing and sandbox events not yet
    # delivered are tried again.
    "billing: expire unpaid checkouts": {
        "task": "billing.expire_checkouts",
        "schedule": 5 * MINUTE,
        "options": {"expire_seconds": 4 * MINUTE},
    },
    "billing: run auto top-ups": {
        "task": "billing.run_auto_topups",
        "schedule": MINUTE,
        "options": {"expire_seconds": 50},
    },
    "billing: retry payouts and sandbox events": {
        "task": "billing.retry_payouts",
        "schedule": 5 * MINUTE,
        "options": {"expire_seconds": 4 * MINUTE},
    },
    # Hosting: sync each panel whose own interval (Integration.sync_interval_minutes) has passed;
    # one sync per panel at a time. Calls the panels did not take (they were down) go again when due.
    "games: sync panels": {
        "task": "games.sync_panels",
        "schedule": 5 * MINUTE,
        "options": {"expire_seconds": 4 * MINUTE},
    },
    "games: retry pending server actions": {
        "task": "games.retry_pending_server_actions",
        "schedule": MINUTE,
        "options": {"expire_seconds": 50},
    },
}

# The loyalty engine (issue 15): metrics, then standing, then rules; expiry and abuse detection.
BEAT_SCHEDULE |= {
    "loyalty: recompute metrics": {
        "task": "loyalty.recompute_metrics",
        "schedule": crontab(minute=0, hour=2),
        "options": {"expire_seconds": 12 * HOUR},
    },
    "loyalty: segments and tiers": {
        "task": "loyalty.recompute_standing",
        "schedule": crontab(minute=30, hour=2),
        "options": {"expire_seconds": 12 * HOUR},
    },
    "loyalty: evaluate reward rules": {
        "task": "loyalty.evaluate_rules",
        "schedule": HOUR,
        "options": {"expire_seconds": 50 * MINUTE},
    },
    "loyalty: expire bonuses": {
        "task": "loyalty.expire_bonuses",
        "schedule": 15 * MINUTE,
        "options": {"expire_seconds": 10 * MINUTE},
    },
    "loyalty: expire points": {
        "task": "loyalty.expire_points",
        "schedule": crontab(minute=45, hour=3),
        "options": {"expire_seconds": 12 * HOUR},
    },
    "loyalty: detect abuse": {
        "task": "loyalty.detect_abuse",
        "schedule": 30 * MINUTE,
        "options": {"expire_seconds": 25 * MINUTE},
    },
    # Support: SLA escalation and auto-close; webhook retries due every minute (their delays come
    # from WEBHOOK_RETRY_SCHEDULE); emails whose task never ran; attachments past retention.
    "support: escalate tickets past SLA": {
        "task": "support.escalate_tickets",
        "schedule": 5 * MINUTE,
        "options": {"expire_seconds": 4 * MINUTE},
    },
    "support: auto-close tickets waiting on the customer": {
        "task": "support.auto_close_tickets",
        "schedule": HOUR,
        "options": {"expire_seconds": 50 * MINUTE},
    },
    "support: retry webhook deliveries": {
        "task": "support.retry_webhook_deliveries",
        "schedule": MINUTE,
        "options": {"expire_seconds": 50},
    },
    "support: send queued emails": {
        "task": "support.send_queued_emails",
        "schedule": 10 * MINUTE,
        "options": {"expire_seconds": 9 * MINUTE},
    },
    "support: purge expired attachments": {
        "task": "support.purge_expired_attachments",
        "schedule": crontab(minute=45, hour=4),
        "options": {"expire_seconds": 12 * HOUR},
    },
}
