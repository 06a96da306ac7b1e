"""One rule per question: the access functions every channel shares (issue 13, section 1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from casedesk.accounts.access import Viewer, is_active_team_member, viewer_for_user
from casedesk.accounts.models import Membership, Role
from casedesk.cases.access import (
    access_case_for_posting,
    client_visible_attachments,
    client_visible_documents,
    is_client_visible,
)
from casedesk.cases.actions import do_delete_message, do_post_message, do_upload_document
from casedesk.lib.errors import ActionError
from casedesk.support import actions as support_actions
from tests.conftest import Cast


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 test file\n", content_type="application/pdf")


def test_access_case_for_posting_gives_the_team_role_to_members(cast: Cast) -> None:
    case, role = access_case_for_posting(viewer_for_user(cast.bob), cast.case_a.pk)
    assert case == cast.case_a and role.is_team and role.contact is None


def test_access_case_for_posting_gives_clients_their_contact(cast: Cast) -> None:
    case, role = access_case_for_posting(viewer_for_user(cast.carol_user), cast.case_a.pk)
    assert case == cast.case_a and not role.is_team and role.contact == cast.carol


@pytest.mark.parametrize("who", ["dave", "frank_user", "vic", "anonymous"])
def test_access_case_for_posting_is_a_404_for_everyone_else(cast: Cast, who: str) -> None:
    viewer = Viewer() if who == "anonymous" else viewer_for_user(getattr(cast, who))
    with pytest.raises(Http404):
        access_case_for_posting(viewer, cast.case_a.pk)


def test_client_visible_documents_leave_out_internal_files_and_deleted_messages(cast: Cast) -> None:
    shared = do_upload_document(case=cast.case_a, upload=_upload("brief.pdf"), uploaded_by_user=cast.bob)
    do_upload_document(
        case=cast.case_a, upload=_upload("margins.pdf"), uploaded_by_user=cast.bob, internal_only=True
    )
    gone = do_post_message(
        case=cast.case_a, body="see file", author_user=cast.bob, files=[_upload("old.pdf")]
    )
    do_delete_message(message=gone, actor=cast.bob)
    assert [d.name for d in client_visible_documents(cast.case_a)] == [shared.name]


def test_client_visible_attachments_are_the_shared_files_of_one_message(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a, body="two files", author_user=cast.bob, files=[_upload("a.pdf"), _upload("b.pdf")]
    )
    note = do_post_message(
        case=cast.case_a, body="note", author_user=cast.bob, internal_only=True, files=[_upload("c.pdf")]
    )
    assert sorted(d.name for d in client_visible_attachments(message)) == ["a.pdf", "b.pdf"]
    assert list(client_visible_attachments(note)) == []
    assert is_client_visible(message) and not is_client_visible(note)


def test_internal_note_enqueues_no_email_and_a_shared_message_links_only_its_shared_files(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    do_post_message(case=cast.case_a, body="internal", author_user=cast.bob, internal_only=True)
    run_tasks()
    assert mail.outbox == []
    do_post_message(case=cast.case_a, body="shared", author_user=cast.bob, files=[_upload("plan.pdf")])
    run_tasks()
    assert mail.outbox and all("plan.pdf" in str(m.body) for m in mail.outbox)


def test_a_deactivated_teammate_cannot_be_given_a_support_conversation(cast: Cast) -> None:
    # Vic's membership is still active, but Vic is deactivated: the access layer says not on the team.
    assert Membership.objects.filter(user=cast.vic, agency=cast.agency_a, is_active=True).exists()
    assert not is_active_team_member(cast.vic, cast.agency_a.pk)
    conversation = support_actions.do_start_conversation(
        agency=cast.agency_a, page_url="http://testserver/s/acme/"
    )
    with pytest.raises(ActionError, match="not on the Acme Agency team"):
        support_actions.do_assign(conversation=conversation, assignee=cast.vic, by=cast.alice)


def test_support_queue_and_sidebar_pick_the_same_agency(cast: Cast) -> None:
    # Dave joined Bravo first, then Acme: the agency joined first is current (Acme sorts first).
    Membership.objects.create(user=cast.dave, agency=cast.agency_a, role=Role.MEMBER)
    response = cast.login(cast.dave).get("/support/")
    assert response.status_code == 200
    assert response.context["current_agency"] == cast.agency_b
    assert response.context["agency"] == cast.agency_b


def test_support_queue_follows_the_agency_switcher(cast: Cast) -> None:
    Membership.objects.create(user=cast.dave, agency=cast.agency_a, role=Role.MEMBER)
    http = cast.login(cast.dave)
    http.post("/accounts/agency/", {"agency": cast.agency_a.pk})
    response = http.get("/support/")
    assert response.context["current_agency"] == response.context["agency"] == cast.agency_a
