"""The Documents tab and file serving (downloads, inline previews, share links).

Every fetch of a file goes through ``access_document`` / ``access_document_by_share_token``,
so a share link opens only for someone who may see the case, checked each time. Files are
streamed with ``nosniff``, a sandboxing CSP, and as attachments unless the sniffed type is a
safe inline one (see ``casedesk.lib.files``).
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.files.base import ContentFile
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import (
    access_case_as_team,
    access_document,
    access_document_by_share_token,
    visible_documents,
)
from casedesk.cases.actions import do_upload_document
from casedesk.cases.forms import DocumentUploadForm
from casedesk.cases.models import Case, Document
from casedesk.lib.errors import ActionError
from casedesk.lib.files import file_response, kind_of, make_pdf_preview, make_thumbnail
from casedesk.lib.http import answer_action


@require_http_methods(["GET", "POST"])
def documents_page(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    if not viewer.is_authenticated_user and not viewer.magic_grants:
        return redirect_to_login(request.get_full_path())
    case = access_case_as_team(viewer, case_id)
    if request.method == "POST":
        form = DocumentUploadForm(request.POST)
        form.is_valid()
        return answer_action(
            request,
            lambda: do_upload_document(
                case=case,
                upload=request.FILES.get("file"),
                uploaded_by_user=viewer.user,
                internal_only=bool(form.cleaned_data.get("internal_only")),
            ),
            json=lambda document: {"document": document.pk},
            json_status=201,
            then=lambda _: reverse("cases:documents", args=[case.pk]),
            success=lambda document: f"“{document.name}” was added to the case's documents.",
            refused=lambda error: _documents_page(request, viewer, case, error),
        )
    return _documents_page(request, viewer, case)


def _documents_page(
    request: HttpRequest, viewer: Viewer, case: Case, error: ActionError | None = None
) -> HttpResponse:
    documents = (
        visible_documents(viewer, case)
        .select_related("uploaded_by_user", "uploaded_by_contact", "message")
        .order_by("-created_at", "-id")
    )
    template = (
        "cases/thread/_documents.html" if request.GET.get("fragment") else "cases/thread/documents.html"
    )
    return render(
        request,
        template,
        {"case": case, "documents": documents, "active_tab": "documents", "is_team": True, "error": error},
        status=error.status if error else 200,
    )


def _serve(request: HttpRequest, document: Document, *, inline: bool) -> HttpResponseBase:
    try:
        fileobj = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        return render(
            request,
            "cases/thread/file_missing.html",
            {"document": document},
            status=404,
        )
    return file_response(
        fileobj,
        filename=document.name,
        content_type=document.content_type,
        inline=inline,
        asynchronous=isinstance(request, ASGIRequest),
    )


def _needs_sign_in(request: HttpRequest) -> bool:
    viewer = viewer_from_request(request)
    return not viewer.is_authenticated_user and not viewer.magic_grants


@require_GET
def document_download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    if _needs_sign_in(request):
        return redirect_to_login(request.get_full_path())
    document = access_document(viewer_from_request(request), document_id)
    return _serve(request, document, inline=False)


@require_GET
@xframe_options_sameorigin
def document_inline(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """For thumbnails and previews; unsafe types still come back as a download."""
    if _needs_sign_in(request):
        return redirect_to_login(request.get_full_path())
    document = access_document(viewer_from_request(request), document_id)
    return _serve(request, document, inline=True)


def _thumbnail_name(document: Document) -> str:
    folder = str(document.file.name).rsplit("/", 1)[0]
    return f"{folder}/thumb.webp"


@require_GET
def document_thumbnail(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """A 320 px WebP of an image file or of a PDF's first page, made on first view and kept next
    to the file."""
    if _needs_sign_in(request):
        return redirect_to_login(request.get_full_path())
    document = access_document(viewer_from_request(request), document_id)
    kind = kind_of(document.content_type)
    if kind not in ("image", "pdf"):
        raise Http404("No thumbnail for this file.")
    make = make_pdf_preview if kind == "pdf" else make_thumbnail
    storage = document.file.storage
    name = _thumbnail_name(document)
    if not storage.exists(name):
        try:
            with document.file.open("rb") as source:
                data = make(source)
        except (FileNotFoundError, OSError, ValueError):
            data = None
        if data is None:
            raise Http404("No thumbnail for this file.")
        storage.save(name, ContentFile(data))
    response = file_response(
        storage.open(name, "rb"),
        filename=f"{document.name}.webp",
        content_type="image/webp",
        inline=True,
        asynchronous=isinstance(request, ASGIRequest),
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def document_share(request: HttpRequest, token: str) -> HttpResponseBase:
    """A share link: opens the file for anyone who may see the case, checked on every fetch."""
    if _needs_sign_in(request):
        return redirect_to_login(request.get_full_path())
    document = access_document_by_share_token(viewer_from_request(request), token)
    return _serve(request, document, inline=True)
