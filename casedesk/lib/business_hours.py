"""An agency's business hours: one opening interval per weekday, in the agency's time zone.

Pure functions over a ``Schedule``; no database. ``casedesk.accounts.models.Agency`` stores the
fields (``time_zone``, ``business_hours``) and ``Agency.schedule()`` builds a ``Schedule``, or
None when the agency keeps no hours (open all the time).

Stored form (``Agency.business_hours``): ``{"0": ["09:00", "17:30"], "4": ["10:00", "16:00"]}``,
weekday keys 0 = Monday … 6 = Sunday; a missing day is closed. Closing must come after opening
on the same day (no intervals past midnight). Local times are turned into instants with
``zoneinfo``, so daylight-saving days are as long as they really are.

(The maintained Python libraries for this — ``businesstimedelta``, ``workalendar`` — are about
public holidays or unmaintained; this is a small module with its own tests.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# How far ahead ``next_open`` looks: a week always holds every open weekday.
_LOOKAHEAD_DAYS = 8


class ScheduleError(ValueError):
    """Stored hours that cannot be read (a bad zone, time or interval), with a sentence."""


def valid_time_zone(name: str) -> bool:
    return name in _zones()


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def time_zone_choices() -> list[str]:
    """Every IANA zone name, sorted (for the Settings form)."""
    return sorted(_zones())


def parse_hhmm(value: str) -> time:
    try:
        parsed = datetime.strptime(value.strip(), "%H:%M")
    except (AttributeError, ValueError):
        raise ScheduleError(f"“{value}” is not a time; write it as HH:MM, for example 09:00.") from None
    return parsed.time()


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    hours: Mapping[int, tuple[time, time]]  # weekday → (opens, closes), local time

    @classmethod
    def from_stored(cls, time_zone: str, stored: Mapping[str, object]) -> Schedule:
        if not valid_time_zone(time_zone):
            raise ScheduleError(f"“{time_zone}” is not a time zone; choose one from the list.")
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"“{time_zone}” is not a time zone; choose one from the list.") from None
        hours: dict[int, tuple[time, time]] = {}
        for key, interval in stored.items():
            if key not in {str(i) for i in range(7)}:
                raise ScheduleError(f"“{key}” is not a weekday (0 = Monday … 6 = Sunday).")
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ScheduleError(f"{WEEKDAYS[int(key)]} needs an opening and a closing time.")
            opens, closes = parse_hhmm(str(interval[0])), parse_hhmm(str(interval[1]))
            if closes <= opens:
                raise ScheduleError(
                    f"On {WEEKDAYS[int(key)]} the closing time must be after the opening time "
                    "(hours past midnight are not supported; end the day at 23:59)."
                )
            hours[int(key)] = (opens, closes)
        if not hours:
            raise ScheduleError("Choose at least one open day, or turn business hours off.")
        return cls(zone=zone, hours=hours)

    def _interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The open interval of that local date, as UTC instants, or None (closed that day).

        In UTC because Python compares and subtracts datetimes that share one tzinfo by their
        wall clocks: a daylight-saving day would come out 24 hours long."""
        pair = self.hours.get(day.weekday())
        if pair is None:
            return None
        opens = datetime.combine(day, pair[0], tzinfo=self.zone).astimezone(UTC)
        closes = datetime.combine(day, pair[1], tzinfo=self.zone).astimezone(UTC)
        return opens, closes

    def is_open(self, at: datetime) -> bool:
        interval = self._interval(at.astimezone(self.zone).date())
        return interval is not None and interval[0] <= at.astimezone(UTC) < interval[1]

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening (an aware datetime in the zone)."""
        first = at.astimezone(self.zone).date()
        moment = at.astimezone(UTC)
        for offset in range(_LOOKAHEAD_DAYS):
            interval = self._interval(first + timedelta(days=offset))
            if interval is None:
                continue
            opens, closes = interval
            if moment < opens:
                return opens.astimezone(self.zone)
            if moment < closes:
                return at.astimezone(self.zone)
        raise AssertionError("a schedule always has an open day")  # from_stored refuses none

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Open seconds from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            interval = self._interval(day)
            if interval is not None:
                lo, hi = max(start, interval[0]), min(end, interval[1])
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


def describe_back(schedule: Schedule, at: datetime) -> str:
    """ "Monday 09:00 (Europe/Berlin)" / "today at 09:00" style words for the next opening."""
    back = schedule.next_open(at)
    local_now = at.astimezone(schedule.zone)
    if back.date() == local_now.date():
        when = f"today at {back:%H:%M}"
    elif back.date() == local_now.date() + timedelta(days=1):
        when = f"tomorrow at {back:%H:%M}"
    else:
        when = f"{WEEKDAYS[back.weekday()]} at {back:%H:%M}"
    return f"{when} ({schedule.zone.key} time)"
