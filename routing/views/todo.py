"""Home page: "Việc cần xử lý", everything waiting for the user's action."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from eoffice.http import AuthenticatedHttpRequest, is_htmx
from eoffice.pagination import KeysetPaginator
from routing.outgoing_selectors import get_outgoing_todo
from routing.presenters import todo_rows
from routing.selectors import list_todo


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    paginator = KeysetPaginator(list_todo(request.user), settings.EOFFICE_PAGE_SIZE)
    page = paginator.page_for(request.GET)
    context: dict[str, object] = {
        "page": page,
        "rows": todo_rows(page.object_list, request.user),
    }
    context["outgoing_todo"] = None if is_htmx(request) else get_outgoing_todo(request.user)
    template = "routing/_todo_table.html" if is_htmx(request) else "routing/todo.html"
    return render(request, template, context)
