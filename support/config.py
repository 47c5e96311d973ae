"""Support's runtime settings (django-constance, editable in the admin), read and checked here.

A value staff mistyped never breaks a request: the default stands in and the mistake is logged.
"""

import json
import logging
import re
from datetime import timedelta

from constance import config

logger = logging.getLogger(__name__)

DEFAULT_SLA_HOURS = {"low": (48, 120), "medium": (24, 72), "high": (8, 24), "urgent": (2, 8)}
DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h"
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DELAY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def sla_targets(priority: str) -> tuple[timedelta, timedelta]:
    """(time to first response, time to resolution) for tickets of `priority`."""
    first, resolution = DEFAULT_SLA_HOURS.get(priority, DEFAULT_SLA_HOURS["medium"])
    try:
        configured = json.loads(config.SUPPORT_SLA_HOURS)
        hours = configured[priority]
        first, resolution = float(hours[0]), float(hours[1])
        if first <= 0 or resolution <= 0:
            raise ValueError("SLA hours are positive")
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        logger.warning("SUPPORT_SLA_HOURS has no usable entry for %r (%s); using the default", priority, exc)
    return timedelta(hours=first), timedelta(hours=resolution)


def parse_delays(text: str) -> list[timedelta]:
    """ "5s,5m,2h" -> [5 s, 5 min, 2 h]; ValueError on anything else."""
    delays = []
    for part in text.split(","):
        match = _DELAY.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a delay like 30s, 5m, 2h or 1d")
        delays.append(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    if not delays:
        raise ValueError("the schedule is empty")
    return delays


def retry_schedule() -> list[timedelta]:
    """Delays between delivery attempts; a delivery gets len(schedule) + 1 attempts in all."""
    try:
        return parse_delays(config.WEBHOOK_RETRY_SCHEDULE)
    except ValueError as exc:
        logger.warning("WEBHOOK_RETRY_SCHEDULE is unusable (%s); using %s", exc, DEFAULT_RETRY_SCHEDULE)
        return parse_delays(DEFAULT_RETRY_SCHEDULE)


def _positive_int(name: str, default: int) -> int:
    value = getattr(config, name)
    if isinstance(value, int) and value > 0:
        return value
    logger.warning("%s must be a positive number, not %r; using %s", name, value, default)
    return default


def auto_close_after() -> timedelta:
    return timedelta(days=_positive_int("TICKET_AUTO_CLOSE_DAYS", 7))


def reopen_window() -> timedelta:
    return timedelta(days=_positive_int("TICKET_REOPEN_DAYS", 30))


def attachment_max_bytes() -> int:
    return _positive_int("TICKET_ATTACHMENT_MAX_MB", 5) * 1024 * 1024


def attachment_retention() -> timedelta:
    return timedelta(days=_positive_int("TICKET_ATTACHMENT_RETENTION_DAYS", 90))


def low_balance_repeat() -> timedelta:
    return timedelta(hours=_positive_int("LOW_BALANCE_REPEAT_HOURS", 24))


def endpoint_disable_after() -> timedelta:
    return timedelta(days=_positive_int("WEBHOOK_DISABLE_AFTER_DAYS", 5))


def secret_overlap() -> timedelta:
    return timedelta(hours=_positive_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24))
