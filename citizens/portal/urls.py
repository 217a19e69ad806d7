from django.urls import path

from . import views

urlpatterns = [
    path("", views.register_page, name="citizen_register"),
    path("<int:pk>/", views.report_page, name="citizen_report"),
]
