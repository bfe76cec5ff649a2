from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from eoffice import views

admin.site.site_header = _("eoffice administration")
admin.site.site_title = "eoffice"

urlpatterns = [
    path("", include("routing.urls")),
    path("", include("documents.urls")),
    path("", include("realtime.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
]
