"""Home page: "Việc cần xử lý", everything waiting for the user's action."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from eoffice.http import AuthenticatedHttpRequest, is_htmx
from eoffice.pagination import CappedPaginator
from routing.presenters import todo_rows
from routing.selectors import list_todo


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    paginator = CappedPaginator(list_todo(request.user), settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "rows": todo_rows(page.object_list, request.user)}
    template = "routing/_todo_table.html" if is_htmx(request) else "routing/todo.html"
    return render(request, template, context)
