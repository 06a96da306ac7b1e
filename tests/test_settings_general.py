"""Settings → General: owners and admins edit the agency; nobody else, and never another agency."""

from __future__ import annotations

from casedesk.accounts.models import Agency
from tests.conftest import Cast


def test_owner_updates_name_colour_and_widget_toggle(cast: Cast) -> None:
    http = cast.login(cast.alice)
    page = http.get("/settings/")
    assert page.status_code == 200
    assert "Show support widget to customers" in page.content.decode()
    response = http.post(
        "/settings/",
        {
            "agency": cast.agency_a.pk,
            "name": "Acme & Co",
            "brand_color": "#ABCDEF",
            "support_widget_for_customers": "on",
        },
    )
    assert response.status_code == 302
    agency = Agency.objects.get(pk=cast.agency_a.pk)
    assert (agency.name, agency.brand_color, agency.support_widget_for_customers) == (
        "Acme & Co",
        "#abcdef",
        True,
    )


def test_unticking_the_widget_toggle_turns_it_off(cast: Cast) -> None:
    Agency.objects.filter(pk=cast.agency_a.pk).update(support_widget_for_customers=True)
    cast.login(cast.adam).post(
        "/settings/", {"agency": cast.agency_a.pk, "name": "Acme Agency", "brand_color": "#4f46e5"}
    )
    assert Agency.objects.get(pk=cast.agency_a.pk).support_widget_for_customers is False


def test_a_bad_colour_gets_a_sentence_and_changes_nothing(cast: Cast) -> None:
    response = cast.login(cast.alice).post(
        "/settings/", {"agency": cast.agency_a.pk, "name": "X", "brand_color": "red"}
    )
    assert response.status_code == 200
    assert "Give the colour as # and six hex digits" in response.content.decode()
    assert Agency.objects.get(pk=cast.agency_a.pk).name == "Acme Agency"


def test_members_get_a_404(cast: Cast) -> None:
    assert cast.login(cast.bob).get("/settings/").status_code == 404


def test_an_owner_of_another_agency_cannot_post_to_this_one(cast: Cast) -> None:
    response = cast.login(cast.dave).post(
        "/settings/", {"agency": cast.agency_a.pk, "name": "Hijacked", "brand_color": "#000000"}
    )
    assert response.status_code == 404
    assert Agency.objects.get(pk=cast.agency_a.pk).name == "Acme Agency"


def test_page_links_to_widget_visibility_when_that_page_exists(cast: Cast) -> None:
    from django.urls import NoReverseMatch, reverse

    body = cast.login(cast.alice).get("/settings/").content.decode()
    try:
        url = reverse("support:widget_settings")
    except NoReverseMatch:
        assert "Support Widget Visibility" not in body
    else:
        assert url in body and "Support Widget Visibility" in body


def test_everyone_with_an_account_edits_their_own_profile(cast: Cast) -> None:
    http = cast.login(cast.bob)
    assert http.get("/settings/profile/").status_code == 200
    http.post("/settings/profile/", {"name": "Robert Member", "email_on_mention": "on"})
    cast.bob.refresh_from_db()
    assert (cast.bob.name, cast.bob.email_on_mention, cast.bob.email_on_client_reply) == (
        "Robert Member",
        True,
        False,
    )
