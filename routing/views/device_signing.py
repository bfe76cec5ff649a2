"""The round trip with the signer's device for a pending signature (issue 7).

``GET``: the digest to sign, as JSON, for the signer holding the pending signature.
``POST``: the value the device returned (base64), from the page's script (answered in
JSON) or from the plain form where the value is pasted (answered with a redirect and a
message). Anyone but that signer gets 404; the POST is CSRF-protected like every form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from documents.permissions import get_document_for_user
from documents.signing.models import SignedFile
from eoffice.http import AuthenticatedHttpRequest
from routing.device_signing import (
    DeviceSignatureRefused,
    describe,
    finish_device_signature,
    get_pending_signature,
)


def _wants_json(request: AuthenticatedHttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_http_methods(["GET", "POST"])
def device_signature(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    if not document.is_outgoing:
        raise Http404
    if request.method == "GET":
        pending = get_pending_signature(document, request.user)
        if pending is None:
            raise Http404
        return JsonResponse(describe(pending))

    try:
        signature_id = int(request.POST.get("signature_id", ""))
    except ValueError as exc:
        raise Http404 from exc
    try:
        finish_device_signature(
            request.user, document.pk, signature_id, request.POST.get("value", "")
        )
    except SignedFile.DoesNotExist as exc:  # not this user's signature of this document
        raise Http404 from exc
    except DeviceSignatureRefused as error:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(error)}, status=error.status)
        messages.error(request, str(error))
        return redirect("outgoing-detail", pk=document.pk)
    message = _("Your digital signature is added; the document waits to be numbered and issued.")
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "id": signature_id,
                "message": message,
                "redirect": reverse("outgoing-detail", args=[document.pk]),
            }
        )
    messages.success(request, message)
    return redirect("outgoing-detail", pk=document.pk)
