"""Mediation pages, under /mediation/."""

from django.urls import path

from accord.mediation import views

app_name = "mediation"

urlpatterns = [
    path("mediation/", views.case_list, name="case_list"),
    path("mediation/new", views.case_new, name="case_new"),
    path("mediation/apply", views.apply, name="apply"),
    path("mediation/progress", views.progress, name="progress"),
    path("mediation/time-limits", views.time_limits, name="time_limits"),
    path("mediation/organisations/", views.organisation_list, name="organisation_list"),
    path("mediation/mediators/", views.mediator_list, name="mediator_list"),
    path("mediation/mediators/<uuid:public_id>/", views.mediator_detail, name="mediator_detail"),
    path("mediation/statistics", views.statistics, name="statistics"),
    path("mediation/cases/<uuid:public_id>/", views.case_detail, name="case_detail"),
    path(
        "mediation/cases/<uuid:public_id>/act/<str:action>",
        views.case_action,
        name="case_action",
    ),
    path(
        "mediation/cases/<uuid:public_id>/documents/<str:kind>",
        views.case_document,
        name="case_document",
    ),
    path("mediation/meet/<str:room>", views.meeting_room, name="meeting_room"),
]
