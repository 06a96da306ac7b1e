"""GET /api/search: same visibility and filters as the pages, errors as sentences, in the schema."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_post_message
from tests.conftest import Cast


@pytest.fixture
def posted(cast: Cast) -> dict[str, int]:
    public = do_post_message(case=cast.case_a, body="Signed contract for the launch", author_user=cast.alice)
    note = do_post_message(
        case=cast.case_a, body="Contract margin is thin", author_user=cast.bob, internal_only=True
    )
    other = do_post_message(case=cast.case_b, body="Umbrella contract draft", author_user=cast.dave)
    return {"public": public.pk, "note": note.pk, "other": other.pk}


def ids(body: dict) -> set[int]:  # type: ignore[type-arg]
    return {hit["id"] for group in body["groups"] for hit in group["hits"]}


def test_team_token_sees_internal_notes_of_own_agency(cast: Cast, posted: dict[str, int]) -> None:
    _, raw = ApiToken.issue(cast.alice, "test")
    response = HttpClient().get("/api/search", {"q": "contract"}, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    body = response.json()
    assert ids(body) == {posted["public"], posted["note"]}
    assert body["total"] == 2 and body["next_page"] is None
    hit = next(h for g in body["groups"] for h in g["hits"] if h["id"] == posted["note"])
    assert hit["internal_only"] is True
    assert hit["snippet_html"].startswith("<mark>Contract</mark>")
    assert hit["url"].endswith(
        f"/cases/{cast.case_a.pk}/messages/?before={posted['note'] + 1}#m{posted['note']}"
    )
    internal = HttpClient().get(
        "/api/search", {"q": "contract", "visibility": "internal"}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert ids(internal.json()) == {posted["note"]}


def test_clients_and_outsiders_see_only_their_own(cast: Cast, posted: dict[str, int]) -> None:
    carol = cast.login(cast.carol_user).get("/api/search", {"q": "contract or margin"}).json()
    assert ids(carol) == {posted["public"]} and carol["total"] == 1
    assert "thin" not in str(carol)
    magic = cast.magic_client().get("/api/search", {"q": "contract"}).json()
    assert ids(magic) == {posted["public"]}
    assert magic["groups"][0]["hits"][0]["url"].endswith(
        f"/my-cases/{cast.case_a.pk}/messages?before={posted['public'] + 1}#m{posted['public']}"
    )
    frank = cast.login(cast.frank_user).get("/api/search", {"q": "contract"}).json()
    assert frank["total"] == 0 and frank["groups"] == []
    dave = cast.login(cast.dave).get("/api/search", {"q": "contract"}).json()
    assert ids(dave) == {posted["other"]}


def test_anonymous_gets_401(cast: Cast) -> None:
    response = HttpClient().get("/api/search", {"q": "contract"})
    assert response.status_code == 401
    assert response.json()["detail"].endswith(".")


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({}, "Type a word to search for."),
        ({"q": ""}, "Type a word to search for."),
        ({"q": "x" * 10_000}, "the limit is 500"),
        ({"q": '"unclosed'}, "quotation mark is not closed"),
        ({"q": "-only"}, "words to leave out"),
        (
            {"q": "a", "date_from": "2026-02-01", "date_to": "2026-01-01"},
            "The end date is before the start date.",
        ),
        ({"q": "a", "date_from": "soon"}, "date_from"),
        ({"q": "a", "page": "0"}, "page"),
        ({"q": "a", "page_size": "1000"}, "page_size"),
        ({"q": "a", "visibility": "secret"}, "visibility"),
    ],
)
def test_bad_input_is_a_sentence_never_a_500(cast: Cast, params: dict[str, str], sentence: str) -> None:
    response = cast.login(cast.alice).get("/api/search", params)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert sentence in detail and detail.endswith(".")


def test_paging_has_no_cap(cast: Cast) -> None:
    for i in range(23):
        do_post_message(case=cast.case_a, body=f"weekly sync {i}", author_user=cast.alice)
    http = cast.login(cast.alice)
    first = http.get("/api/search", {"q": "weekly", "page_size": "10"}).json()
    assert first["total"] == 23 and first["pages"] == 3 and first["next_page"] == 2
    third = http.get("/api/search", {"q": "weekly", "page_size": "10", "page": "3"}).json()
    assert len(ids(third)) == 3 and third["next_page"] is None


def test_openapi_documents_search_with_its_errors_and_constraints(cast: Cast) -> None:
    spec = cast.login(cast.alice).get("/api/openapi.json").json()
    operation = spec["paths"]["/api/search"]["get"]
    assert {"200", "401", "422"} <= set(operation["responses"])
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["q"]["schema"]["maxLength"] == 500 and params["q"]["schema"]["minLength"] == 1
    assert params["page_size"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["minimum"] == 1
    assert set(params["visibility"]["schema"]["enum"]) == {"", "internal", "client"}
