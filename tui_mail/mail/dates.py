"""Date headers: parsed leniently, shown in the reader's zone, never in the locale's words."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTHS, 1)}
# The RFC 5322 form nearly every mailer writes: handled without the stdlib's slower parser.
_COMMON = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-])(\d{2})(\d{2})\s*(?:\([^()]*\))?\s*"
)
_ZONE_WORD = re.compile(r"\s([A-Za-z]{3,5})\s*(?:\([^)]*\))?\s*$")
_ZONES = {
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "CET": 1,
    "MET": 1,
    "CEST": 2,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "IST": 5,
}  # IST: India, the commonest use in mail


def _common_form(text: str) -> datetime | None:
    match = _COMMON.fullmatch(text)
    if match is None:
        return None
    day, month_name, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    month = _MONTH_NUMBERS.get(month_name.lower())
    if month is None:
        return None
    zone = _offset_zone(sign, zone_hours, zone_minutes)
    try:
        return datetime(
            int(year), month, int(day), int(hour), int(minute), int(second or 0), tzinfo=zone
        )
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _offset_zone(sign: str, zone_hours: str, zone_minutes: str) -> tzinfo:
    """The zone of a ``+hhmm`` offset; cached, as a mailbox's dates use a handful of them."""
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    if offset >= timedelta(hours=24):
        return UTC  # "-3000": no such zone; like "-0000", read as UTC
    if sign == "-":
        return UTC if not offset else timezone(-offset)  # "-0000": zone unknown, UTC
    return timezone(offset) if offset else UTC


def parse_date(text: str) -> datetime | None:
    """An aware datetime for a Date header, or None; unknown zones are read as UTC."""
    text = text.strip()
    if not text:
        return None
    parsed = _common_form(text)
    if parsed is not None:
        return parsed
    zone = _ZONE_WORD.search(text)
    if zone and zone.group(1).upper() in _ZONES:
        hours = _ZONES[zone.group(1).upper()]
        text = f"{text[: zone.start()]} +{hours:02d}00"
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_date(value: datetime, tz: tzinfo | None) -> str:
    """``Wed, 01 May 2024 19:30:00 +0900`` in ``tz`` (local time when None), locale-free."""
    try:
        local = value.astimezone(tz) if tz is not None else value.astimezone()
    except (OverflowError, ValueError, OSError):
        local = value
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} "
        f"{local.year:04d} {local.hour:02d}:{local.minute:02d}:{local.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )
