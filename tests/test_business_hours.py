"""Business hours (issue 16 §3): the arithmetic, Settings → General, the widget and the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from casedesk.accounts.actions import do_update_agency_settings
from casedesk.accounts.models import Agency
from casedesk.lib.business_hours import Schedule, ScheduleError, describe_back
from casedesk.lib.errors import ActionError
from casedesk.support import actions, hours
from casedesk.support.models import Conversation
from tests.conftest import Cast
from tests.support_helpers import Widget, triage_stub  # noqa: F401

BERLIN = "Europe/Berlin"
WEEKDAYS_9_TO_5 = {str(day): ["09:00", "17:00"] for day in range(5)}


def _at(text: str, zone: str = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _week() -> Schedule:
    return Schedule.from_stored(BERLIN, WEEKDAYS_9_TO_5)


# --- the arithmetic (casedesk.lib.business_hours) ----------------------------------------------
# 2026-12-04 is a Friday, 2026-12-05/06 the weekend, 2026-12-07 a Monday.


def test_open_inside_the_hours_and_closed_outside_them() -> None:
    week = _week()
    assert week.is_open(_at("2026-12-04T09:00"))
    assert week.is_open(_at("2026-12-04T16:59"))
    assert not week.is_open(_at("2026-12-04T17:00"))  # closing time is not open
    assert not week.is_open(_at("2026-12-04T08:59"))
    assert not week.is_open(_at("2026-12-05T12:00"))  # Saturday
    # The zone counts, not the server's: 08:30 UTC is 09:30 in Berlin in winter.
    assert week.is_open(datetime(2026, 12, 4, 8, 30, tzinfo=UTC))


def test_next_open_skips_the_night_and_the_weekend() -> None:
    week = _week()
    assert week.next_open(_at("2026-12-04T10:00")) == _at("2026-12-04T10:00")  # open: now
    assert week.next_open(_at("2026-12-04T07:00")) == _at("2026-12-04T09:00")
    assert week.next_open(_at("2026-12-04T18:00")) == _at("2026-12-07T09:00")  # Friday evening → Monday
    assert week.next_open(_at("2026-12-06T23:59")) == _at("2026-12-07T09:00")


def test_open_seconds_between_two_moments() -> None:
    week = _week()
    hour = 3600.0
    assert week.seconds_between(_at("2026-12-04T16:00"), _at("2026-12-07T10:00")) == 2 * hour
    assert week.seconds_between(_at("2026-12-05T09:00"), _at("2026-12-06T17:00")) == 0  # the weekend
    assert week.seconds_between(_at("2026-12-07T08:00"), _at("2026-12-11T18:00")) == 5 * 8 * hour
    assert week.seconds_between(_at("2026-12-07T12:00"), _at("2026-12-07T11:00")) == 0  # backwards


def test_a_daylight_saving_day_is_as_long_as_it_really_is() -> None:
    # 29 March 2026: Berlin's clocks jump from 02:00 to 03:00, so 00:00–23:59 is 22 h 59 min.
    sunday = Schedule.from_stored(BERLIN, {"6": ["00:00", "23:59"]})
    seconds = sunday.seconds_between(_at("2026-03-29T00:00"), _at("2026-03-30T00:00"))
    assert seconds == (22 * 60 + 59) * 60
    # 25 October 2026: back from 03:00 to 02:00, so the same hours are 24 h 59 min.
    autumn = sunday.seconds_between(_at("2026-10-25T00:00"), _at("2026-10-26T00:00"))
    assert autumn == (24 * 60 + 59) * 60


@pytest.mark.parametrize(
    ("zone", "stored", "words"),
    [
        ("Mars/Olympus", WEEKDAYS_9_TO_5, "is not a time zone"),
        (BERLIN, {}, "at least one open day"),
        (BERLIN, {"0": ["17:00", "09:00"]}, "closing time must be after the opening time"),
        (BERLIN, {"0": ["09:00", "09:00"]}, "closing time must be after the opening time"),
        (BERLIN, {"0": ["9 am", "17:00"]}, "write it as HH:MM"),
        (BERLIN, {"7": ["09:00", "17:00"]}, "is not a weekday"),
        (BERLIN, {"0": ["09:00"]}, "needs an opening and a closing time"),
    ],
)
def test_unreadable_hours_are_refused_with_a_sentence(zone: str, stored: dict[str, Any], words: str) -> None:
    with pytest.raises(ScheduleError, match=words):
        Schedule.from_stored(zone, stored)


def test_the_words_for_when_the_team_is_back() -> None:
    week = _week()
    assert describe_back(week, _at("2026-12-04T07:00")) == "today at 09:00 (Europe/Berlin time)"
    assert describe_back(week, _at("2026-12-03T18:00")) == "tomorrow at 09:00 (Europe/Berlin time)"
    assert describe_back(week, _at("2026-12-04T18:00")) == "Monday at 09:00 (Europe/Berlin time)"


# --- Settings → General -----------------------------------------------------------------------


def _general_post(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "agency": agency.pk,
        "name": agency.name,
        "brand_color": agency.brand_color,
        "email_digest_minutes": agency.email_digest_minutes,
        "business_hours_on": "on",
        "time_zone": BERLIN,
    }
    for day in range(5):
        data.update({f"open_{day}": "on", f"opens_{day}": "09:00", f"closes_{day}": "17:00"})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_an_admin_sets_the_hours_in_settings_general(cast: Cast) -> None:
    http = cast.login(cast.adam)
    page = http.get(f"/settings/?agency={cast.agency_a.pk}")
    assert b"Business hours" in page.content and b'type="time"' in page.content
    response = http.post("/settings/", _general_post(cast.agency_a, opens_4="10:00", closes_4="16:00"))
    assert response.status_code == 302
    cast.agency_a.refresh_from_db()
    assert cast.agency_a.business_hours_enabled
    assert cast.agency_a.time_zone == BERLIN
    assert cast.agency_a.business_hours["4"] == ["10:00", "16:00"]
    assert set(cast.agency_a.business_hours) == {"0", "1", "2", "3", "4"}
    schedule = cast.agency_a.schedule()
    assert schedule is not None and schedule.zone.key == BERLIN

    # Off again: always open, and the week is kept for next time.
    response = http.post("/settings/", _general_post(cast.agency_a, business_hours_on=None))
    assert response.status_code == 302
    cast.agency_a.refresh_from_db()
    assert cast.agency_a.schedule() is None
    assert cast.agency_a.business_hours["4"] == ["10:00", "16:00"]
    page = http.get(f"/settings/?agency={cast.agency_a.pk}")
    assert b'value="10:00"' in page.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"opens_0": None}, "Give Monday&#x27;s opening and closing time, or untick Monday."),
        ({"opens_1": "18:00"}, "On Tuesday the closing time must be after the opening time"),
        ({"closes_2": "25:00"}, "Write the time as HH:MM"),
        ({f"open_{day}": None for day in range(5)}, "Choose at least one open day"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_hours_get_a_sentence_and_nothing_is_saved(
    cast: Cast, changes: dict[str, Any], words: str
) -> None:
    http = cast.login(cast.adam)
    response = http.post("/settings/", _general_post(cast.agency_a, **changes))
    assert response.status_code == 200
    assert words in response.content.decode()
    cast.agency_a.refresh_from_db()
    assert not cast.agency_a.business_hours_enabled and cast.agency_a.business_hours == {}


@pytest.mark.django_db
def test_the_action_refuses_unreadable_hours_whoever_calls_it(cast: Cast) -> None:
    agency = cast.agency_a
    common: dict[str, Any] = {"agency": agency, "name": agency.name, "brand_color": agency.brand_color}
    with pytest.raises(ActionError, match="closing time must be after"):
        do_update_agency_settings(
            **common, support_widget_for_customers=False, business_hours={"0": ["12:00", "11:00"]}
        )
    with pytest.raises(ActionError, match="not a time zone"):
        do_update_agency_settings(**common, support_widget_for_customers=False, time_zone="Nowhere/Else")
    with pytest.raises(ActionError, match="at least one open day"):
        do_update_agency_settings(**common, support_widget_for_customers=False, business_hours_on=True)
    agency.refresh_from_db()
    assert agency.business_hours == {} and agency.time_zone == "UTC" and not agency.business_hours_enabled


@pytest.mark.django_db
def test_a_member_cannot_change_the_hours(cast: Cast) -> None:
    response = cast.login(cast.bob).post("/settings/", _general_post(cast.agency_a))
    assert response.status_code == 404
    cast.agency_a.refresh_from_db()
    assert not cast.agency_a.business_hours_enabled


# --- the widget and the queue -----------------------------------------------------------------


def _keep_hours(agency: Agency, stored: dict[str, list[str]], zone: str = BERLIN) -> None:
    agency.business_hours_enabled = True
    agency.time_zone = zone
    agency.business_hours = stored
    agency.support_widget_for_customers = True
    agency.save()


def _closed_today_and_yesterday(zone: str = "UTC") -> dict[str, list[str]]:
    """Open one weekday that is neither today nor yesterday: closed for the last day or so."""
    today = timezone.now().astimezone(ZoneInfo(zone)).weekday()
    return {str((today + 3) % 7): ["09:00", "17:00"]}


@pytest.mark.django_db
@pytest.mark.usefixtures("triage_stub")
def test_outside_the_hours_the_widget_says_when_the_team_is_back(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    _keep_hours(cast.agency_a, WEEKDAYS_9_TO_5)
    friday_evening = _at("2026-12-04T18:30")
    monkeypatch.setattr(hours.timezone, "now", lambda: friday_evening)
    widget = Widget("acme")
    away = widget.bootstrap().json()["away"]
    assert away["back_at"] == "2026-12-07T09:00:00+01:00"
    assert "back Monday at 09:00 (Europe/Berlin time)" in away["text"]
    assert "will come by email" in away["text"]

    handed = widget.ask("I want to talk to a person please").json()
    notice = handed["messages"][-1]["html"]
    assert "when the team is back, Monday at 09:00 (Europe/Berlin time)" in notice
    assert "the answer will come by email" in notice
    assert handed["ask_answer_email"] is True

    monday_morning = _at("2026-12-07T09:30")
    monkeypatch.setattr(hours.timezone, "now", lambda: monday_morning)
    assert widget.bootstrap().json()["away"] is None


@pytest.mark.django_db
@pytest.mark.usefixtures("triage_stub")
def test_without_hours_the_widget_is_never_away(cast: Cast) -> None:
    cache.clear()
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    widget = Widget("acme")
    assert widget.bootstrap().json()["away"] is None
    notice = widget.ask("I want to talk to a person please").json()["messages"][-1]["html"]
    assert "usually within about" in notice


@pytest.mark.django_db
def test_the_overdue_timer_counts_business_hours_only(cast: Cast, settings: Any) -> None:
    settings.SUPPORT_OVERDUE_SECONDS = 15 * 60
    conversation = actions.do_start_conversation(agency=cast.agency_a)
    actions.do_request_escalation(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(escalated_at=timezone.now() - timedelta(hours=3))
    http = cast.login(cast.bob)
    assert b"overdue" in http.get("/support/").content.lower()  # always open: 3 h is overdue

    _keep_hours(cast.agency_a, _closed_today_and_yesterday(), zone="UTC")
    page = http.get("/support/").content.decode()
    assert "overdue" not in page.lower()  # closed all that time: no open minute has passed
    assert "waiting since 3\xa0hours ago" in page  # the row still shows the real wait
