"""access_case answers "is this viewer on the case's team?" in the case's own query."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from casedesk.accounts.access import viewer_for_user
from casedesk.accounts.models import Membership
from casedesk.cases.access import access_case, is_team_for_case

pytestmark = pytest.mark.django_db


def test_team_member_opens_a_case_in_one_query(cast: Any, django_assert_num_queries: Any) -> None:
    viewer = viewer_for_user(cast.bob)
    with django_assert_num_queries(1):
        case = access_case(viewer, cast.case_a.pk)
        assert is_team_for_case(viewer, case)
    assert case.pk == cast.case_a.pk


def test_inactive_membership_is_not_team_and_not_a_way_in(cast: Any) -> None:
    Membership.objects.filter(user=cast.bob, agency=cast.case_a.agency).update(is_active=False)
    viewer = viewer_for_user(cast.bob)
    with pytest.raises(Http404):
        access_case(viewer, cast.case_a.pk)
    assert not viewer.is_team(cast.case_a.agency_id)


def test_outsider_gets_404_and_no_team_answer_for_other_agency(cast: Any) -> None:
    viewer = viewer_for_user(cast.dave)
    with pytest.raises(Http404):
        access_case(viewer, cast.case_a.pk)
    assert not viewer.is_team(cast.case_a.agency_id)
    # The recorded answer is about that agency only; Dave's own agency still counts.
    assert viewer.is_team(cast.case_b.agency_id)


def test_loaded_memberships_win_over_recorded_answers(cast: Any) -> None:
    viewer = viewer_for_user(cast.bob)
    viewer.memberships()
    case = access_case(viewer, cast.case_a.pk)
    assert is_team_for_case(viewer, case)
    assert not viewer.is_team(cast.case_b.agency_id)
