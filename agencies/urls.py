"""The site's log-in, log-out and language switch: they serve every app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's language switch, which also remembers the choice for the person's e-mails.
    path("i18n/setlang/", views.set_language, name="set_language"),
]
