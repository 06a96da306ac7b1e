"""Settings → Your profile → Photo: upload, shown next to the person's messages, removed;
served only through its random URL to someone with a session."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from casedesk.accounts.models import User
from casedesk.cases.actions import do_post_message
from casedesk.lib.avatars import PHOTO_PX, photo_token
from tests.conftest import Cast


def _picture(width: int = 640, height: int = 400, fmt: str = "PNG") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, format=fmt)
    return SimpleUploadedFile(f"me.{fmt.lower()}", out.getvalue(), content_type=f"image/{fmt.lower()}")


def _upload(http: HttpClient, upload: SimpleUploadedFile) -> str:
    response = http.post("/settings/profile/photo/", {"photo": upload}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_uploaded_photo_is_a_square_webp_shown_on_the_thread_for_team_and_client(cast: Cast) -> None:
    page = _upload(cast.login(cast.bob), _picture())
    assert "Your photo is saved." in page
    bob = User.objects.get(pk=cast.bob.pk)
    token = photo_token(bob.photo)
    assert token and f'<img src="/accounts/photo/{token}" alt=""' in page  # the profile's own preview
    with default_storage.open(bob.photo, "rb") as stored, Image.open(stored) as image:
        assert image.format == "WEBP" and image.size == (PHOTO_PX, PHOTO_PX)

    message = do_post_message(case=cast.case_a, body="with a face", author_user=cast.bob)
    for http, path in (
        (cast.login(cast.alice), f"/cases/{cast.case_a.pk}/messages/"),
        (cast.login(cast.carol_user), f"/my-cases/{cast.case_a.pk}/messages"),
    ):
        html = http.get(path).content.decode()
        assert f'data-id="{message.pk}" data-author="u{cast.bob.pk}">\n<span class="avatar avatar--' in html
        assert f'<img src="/accounts/photo/{token}" alt="" loading="lazy"></span>' in html
        photo = http.get(f"/accounts/photo/{token}")
        assert photo.status_code == 200 and photo["Content-Type"] == "image/webp"
    # Without a session, or with a made-up token: nothing.
    assert HttpClient().get(f"/accounts/photo/{token}").status_code == 404
    assert cast.login(cast.alice).get("/accounts/photo/AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_a_new_photo_replaces_the_old_file_and_remove_goes_back_to_initials(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    http = cast.login(cast.bob)
    _upload(http, _picture())
    first = User.objects.get(pk=cast.bob.pk).photo
    with django_capture_on_commit_callbacks(execute=True):
        _upload(http, _picture(300, 900, "JPEG"))
    second = User.objects.get(pk=cast.bob.pk).photo
    assert second != first and default_storage.exists(second)
    assert not default_storage.exists(first)  # deleted after commit
    assert http.get(f"/accounts/photo/{photo_token(first)}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        page = http.post("/settings/profile/photo/", {"remove": "1"}, follow=True).content.decode()
    assert "Your photo is removed" in page
    assert User.objects.get(pk=cast.bob.pk).photo == ""
    assert not default_storage.exists(second)
    assert '<span class="avatar avatar--' in page and ">BM</span>" in page


def test_a_file_that_is_not_a_picture_or_too_big_is_refused_with_a_sentence(cast: Cast) -> None:
    http = cast.login(cast.bob)
    page = _upload(http, SimpleUploadedFile("me.png", b"<svg onload=alert(1)>", content_type="image/png"))
    assert "That file is not a picture casedesk can read." in page
    big = SimpleUploadedFile("me.png", b"0" * (5 * 1024 * 1024 + 1), content_type="image/png")
    assert "the limit for a photo is 5 MB" in _upload(http, big)
    assert User.objects.get(pk=cast.bob.pk).photo == ""
