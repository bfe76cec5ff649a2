"""The messaging screens ("Tin nhắn"): conversations, messages, files and search.

Every conversation id in a URL goes through ``get_conversation_for_user`` first: a person
outside the conversation gets 404 from every view here, before any upload is even read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents.downloads import stored_file_response
from eoffice.http import AuthenticatedHttpRequest, is_htmx
from realtime import messaging
from realtime.messaging_forms import (
    AddMembersForm,
    DirectConversationForm,
    GroupForm,
    MessageForm,
    MessageSearchForm,
)
from realtime.messaging_models import Conversation, Message, MessageAttachment
from realtime.messaging_presenters import conversation_title, present_messages
from realtime.messaging_selectors import (
    MemberRead,
    get_message,
    list_conversations,
    list_member_reads,
    list_message_page,
    list_messageable_people,
)
from realtime.permissions import get_conversation_for_user

# Files are served as data, never as a page of ours (the same rules as document files).


@login_required
@require_GET
def conversation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.department is not None:
        # The department's conversation exists before its first message, so it can be opened.
        messaging.ensure_department_conversation(user.department)
    paginator = Paginator(list_conversations(user), settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {"conversation": c, "title": conversation_title(c, user, _partner_name(c))}
        for c in page.object_list
    ]
    context = {"page": page, "rows": rows, "search_form": MessageSearchForm()}
    if is_htmx(request):
        return render(request, "realtime/messaging/_conversation_rows.html", context)
    return render(request, "realtime/messaging/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def start_direct(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DirectConversationForm(
        request.POST or None,
        people=list_messageable_people(request.user),
        initial={"person": request.GET.get("person")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            conversation = messaging.start_direct_conversation(
                request.user, form.cleaned_data["person"]
            )
        except messaging.MessagingError as error:
            form.add_error("person", str(error))
        else:
            return redirect("conversation-detail", pk=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "realtime/messaging/new_direct.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def create_group(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None, people=list_messageable_people(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            conversation = messaging.create_group(
                request.user, form.cleaned_data["title"], form.cleaned_data["members"]
            )
        except messaging.MessagingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Group “%(title)s” created.") % {"title": conversation.title}
            )
            return redirect("conversation-detail", pk=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "realtime/messaging/new_group.html", {"form": form}, status=status)


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _page_context(
    request: AuthenticatedHttpRequest, conversation: Conversation, before: int | None
) -> dict[str, Any]:
    user = request.user
    page, has_older = list_message_page(conversation, before, settings.EOFFICE_PAGE_SIZE)
    member_reads = list_member_reads(conversation)
    partner = next((m.user for m in member_reads if m.user.pk != user.pk), None)
    context: dict[str, Any] = {
        "conversation": conversation,
        "title": conversation_title(
            conversation, user, partner.get_full_name() if partner else None
        ),
        "items": present_messages(user, page, member_reads),
        "members": member_reads,
        "has_older": has_older,
        "older_before": page[0].seq if page else None,
        "is_newest": before is None or (page and page[-1].seq >= conversation.last_seq),
    }
    if conversation.kind == Conversation.Kind.GROUP:
        context["add_form"] = AddMembersForm(
            people=list_messageable_people(user, {m.user.pk for m in member_reads})
        )
    return context


@login_required
@require_GET
def conversation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for_user(request.user, pk)
    before = _before(request)
    if before is None and conversation.last_seq:
        # Opening the newest page is reading it.
        messaging.mark_conversation_read(request.user, conversation.pk)
    context = _page_context(request, conversation, before)
    context["form"] = MessageForm()
    return render(request, "realtime/messaging/conversation.html", context)


@login_required
@require_POST
def post_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for_user(request.user, pk)
    form = MessageForm(request.POST, request.FILES)
    message: Message | None = None
    if form.is_valid():
        try:
            message = messaging.post_message(
                request.user, conversation.pk, form.cleaned_data["text"], form.cleaned_data["files"]
            )
        except messaging.MessagingError as error:
            form.add_error(None, str(error))
    if is_htmx(request):
        context: dict[str, Any] = {"conversation": conversation}
        if message is None:
            context["form"] = form
            context["previous_files"] = [f.name for f in request.FILES.getlist("files")]
        else:
            context["form"] = MessageForm()
            message = get_message(conversation, message.pk)
            context["item"] = present_messages(request.user, [message])[0]
        return render(request, "realtime/messaging/_post_result.html", context)
    if message is not None:
        return redirect(reverse("conversation-detail", args=[conversation.pk]) + "#thread-end")
    context = _page_context(request, conversation, None)
    context["form"] = form
    context["previous_files"] = [f.name for f in request.FILES.getlist("files")]
    return render(request, "realtime/messaging/conversation.html", context, status=400)


@login_required
@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The live page read the messages it just showed (up to ``seq``)."""
    value = request.POST.get("seq", "")
    up_to = int(value) if value.isdigit() else None
    messaging.mark_conversation_read(request.user, pk, up_to)
    return HttpResponse(status=204)


@login_required
@require_POST
def add_members(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for_user(request.user, pk)
    members = {m.user.pk for m in list_member_reads(conversation)}
    form = AddMembersForm(request.POST, people=list_messageable_people(request.user, members))
    if form.is_valid():
        try:
            added = messaging.add_members(
                request.user, conversation.pk, form.cleaned_data["members"]
            )
        except messaging.MessagingError as error:
            messages.error(request, str(error))
        else:
            if added:
                messages.success(
                    request,
                    _("Added to the group: %(names)s.")
                    % {"names": ", ".join(u.get_full_name() for u in added)},
                )
    else:
        messages.error(request, _("Choose the people to add."))
    return redirect("conversation-detail", pk=conversation.pk)


@login_required
@require_GET
def message_fragment(request: AuthenticatedHttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """One message as its reader sees it; the live page fetches it (the socket carries ids)."""
    conversation = get_conversation_for_user(request.user, pk)
    try:
        message = get_message(conversation, message_pk)
    except Message.DoesNotExist as exc:
        raise Http404 from exc
    reads: list[MemberRead] = list_member_reads(conversation)
    item = present_messages(request.user, [message], reads)[0]
    return render(
        request,
        "realtime/messaging/_message.html",
        {"item": item, "conversation": conversation},
    )


@login_required
@require_GET
def download_attachment(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> FileResponse:
    conversation = get_conversation_for_user(request.user, pk)
    try:
        attachment = MessageAttachment.objects.get(
            pk=attachment_pk, message__conversation=conversation
        )
    except MessageAttachment.DoesNotExist as exc:
        raise Http404 from exc
    return stored_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


def _partner_name(row: Conversation | Message) -> str | None:
    """The other person of a direct conversation.

    ``list_conversations`` and ``search_messages`` annotate it on their rows; the model types
    do not know annotations, hence the ``Any`` boundary.
    """
    annotated: Any = row
    return annotated.partner_name


def _message_url(message: Message) -> str:
    """The conversation page that ends with ``message``."""
    url = reverse("conversation-detail", args=[message.conversation_id])
    return f"{url}?before={message.seq + 1}#message-{message.pk}"


@login_required
@require_GET
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MessageSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = None
    results: list[dict[str, Any]] = []
    if query.strip():
        paginator = Paginator(
            messaging.search_messages(request.user, query), settings.EOFFICE_PAGE_SIZE
        )
        page = paginator.get_page(request.GET.get("page"))
        items = present_messages(request.user, list(page.object_list))
        results = [
            {
                "item": item,
                "title": conversation_title(
                    item.message.conversation, request.user, _partner_name(item.message)
                ),
                "url": _message_url(item.message),
            }
            for item in items
        ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "q": query,
        "page": page,
        "results": results,
        "query": params.urlencode(),
    }
    return render(request, "realtime/messaging/search.html", context)
