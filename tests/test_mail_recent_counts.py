"""``mail.inbound.recent_mail`` is SQL for speed (a known exception, DEVELOPERS.md); it must count
exactly what the ORM aggregate with ``Count(..., filter=Q(...))`` counts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from casedesk.mail.inbound import RecentMail, recent_mail
from casedesk.mail.models import InboundEmail, InboundSource
from tests.conftest import Cast


def _orm(row: InboundEmail, agency_id: int | None) -> RecentMail:
    recent = Q(received_at__gte=timezone.now() - timedelta(hours=1)) & ~Q(pk=row.pk)
    parts: dict[str, Q] = {}
    if row.message_id_header:
        parts["posted"] = Q(posted_message_id=row.message_id_header)
    if row.from_address:
        parts["from_sender"] = Q(from_address=row.from_address) & recent
    if agency_id is not None:
        parts["for_agency"] = Q(agency_id=agency_id) & recent
    if not parts:
        return RecentMail(False, 0, 0)
    values = InboundEmail.objects.aggregate(**{n: Count("pk", filter=c) for n, c in parts.items()})
    return RecentMail(
        bool(values.get("posted")), values.get("from_sender") or 0, values.get("for_agency") or 0
    )


def _mail(**fields: object) -> InboundEmail:
    return InboundEmail.objects.create(source=InboundSource.SMTP, raw=b"x", **fields)  # type: ignore[arg-type]


def test_recent_counts_match_the_orm_aggregate(cast: Cast) -> None:
    a, b = cast.agency_a, cast.agency_b
    for i in range(3):
        _mail(from_address="carol@globex.test", agency=a, message_id_header=f"<m{i}@x>")
    _mail(from_address="carol@globex.test", agency=b)
    _mail(from_address="erin@globex.test", agency=a, posted_message_id="<posted@x>")
    old = _mail(from_address="carol@globex.test", agency=a)
    InboundEmail.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=2))
    rows = [
        _mail(from_address="carol@globex.test", agency=a, message_id_header="<posted@x>"),
        _mail(from_address="frank@initech.test", message_id_header="<new@x>"),
        _mail(),
    ]
    seen = set()
    for row in rows:
        for agency_id in (a.pk, b.pk, None):
            got, expected = recent_mail(row, agency_id=agency_id), _orm(row, agency_id)
            assert got == expected, (row.pk, agency_id)
            seen.add(got)
    # The cases above are not all zeros: the duplicate and both counts were exercised.
    assert RecentMail(True, 4, 4) in seen  # carol: 3 to A + 1 to B; A: 3 + erin's
    assert any(s.for_agency == 1 for s in seen)
