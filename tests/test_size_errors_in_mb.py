"""Size errors speak in KB/MB, as the docs promise, on every channel: never a count of bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.test import override_settings

from casedesk.api.models import ApiToken
from casedesk.cases.actions import check_files
from casedesk.lib.errors import ActionError
from casedesk.lib.files import size_over_limit
from casedesk.mail.models import InboundStatus
from tests.conftest import Cast
from tests.fixtures.eml.helpers import big_base64, deliver, load_eml, posted, token_for

MB = 1024 * 1024


def test_a_31_mb_file_is_described_in_mb_against_the_25_mb_limit(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    with path.open("wb") as out:
        out.truncate(int(31.2 * MB))  # sparse: no 31 MB buffer
    with path.open("rb") as fh, pytest.raises(ActionError) as refused:
        check_files([File(fh, name="plan.pdf")])
    assert refused.value.message.startswith("“plan.pdf” is 31.2 MB; the limit is 25 MB per file.")
    assert refused.value.status == 413


@pytest.mark.parametrize(
    ("size", "limit", "shown"),
    [
        (25 * MB + 1, 25 * MB, "just over 25 MB"),
        (int(31.2 * MB), 25 * MB, "31.2 MB"),
        (101, 100, "101 bytes"),
    ],
)
def test_size_over_limit_never_looks_equal_to_the_limit(size: int, limit: int, shown: str) -> None:
    assert size_over_limit(size, limit) == shown


@override_settings(MAX_ATTACHMENT_BYTES=1024)
@pytest.mark.parametrize("path", ["messages", "documents"])
def test_api_size_error_is_in_kb_not_bytes(cast: Cast, path: str) -> None:
    _, token = ApiToken.issue(cast.bob, "sizes")
    field = "files" if path == "messages" else "file"
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/{path}",
        {"body": "the plan", field: SimpleUploadedFile("plan.pdf", b"x" * 1025)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("“plan.pdf” is just over 1 KB; the limit is 1 KB per file.")
    assert "bytes" not in detail


def test_inbound_note_and_reply_say_just_over_the_limit(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    settings.MAX_ATTACHMENT_BYTES = 2048
    mail.outbox.clear()
    raw = load_eml(
        "oversized_attachment.eml",
        big_payload=big_base64(2049),
        carol_token=token_for(cast.carol, cast.case_a),
        erin_token=token_for(cast.erin, cast.case_a),
        uma_token=token_for(cast.uma, cast.case_b),
    )
    row = deliver(raw, run_tasks)
    assert row.status == InboundStatus.POSTED
    assert "“footage.mov” (just over 2 KB) was not added: the limit is 2 KB per file." in posted(row).body
    [told] = [m for m in mail.outbox if "too large" in m.subject]
    assert "footage.mov (just over 2 KB)" in told.body
