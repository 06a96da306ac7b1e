"""Settings → Support Widget: the unseen-reply email delay (support/visitor_email.py reads it)."""

from __future__ import annotations

import pytest

from casedesk.support.models import WidgetSettings
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_the_unseen_reply_delay_is_set_in_settings_and_checked(cast: Cast) -> None:
    admin = cast.login(cast.alice)
    form = admin.get("/settings/support-widget/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["unseen_reply_email_minutes"] = "1441"
    refused = admin.post("/settings/support-widget/", data)
    assert "Give a delay between 0 minutes (at once) and 1440 minutes (a day)." in refused.content.decode()
    data["unseen_reply_email_minutes"] = "10"
    assert admin.post("/settings/support-widget/", data).status_code == 302
    assert WidgetSettings.objects.get(agency=cast.agency_a).unseen_reply_email_minutes == 10
    # A member (not a manager) cannot change it.
    assert cast.login(cast.bob).post("/settings/support-widget/", data).status_code == 404
