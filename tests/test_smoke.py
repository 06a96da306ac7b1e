from __future__ import annotations

from casedesk.accounts.access import viewer_for_user
from casedesk.cases.access import visible_cases
from tests.conftest import Cast


def test_team_sees_only_own_agency_cases(cast: Cast) -> None:
    titles = set(visible_cases(viewer_for_user(cast.bob)).values_list("title", flat=True))
    assert titles == {"Spring campaign", "Initech rebrand"}


def test_outsider_sees_only_own_agency(cast: Cast) -> None:
    assert list(visible_cases(viewer_for_user(cast.dave))) == [cast.case_b]
