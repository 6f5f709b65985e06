"""Routes of the envelopes pages (hr); included by accord/envelopes/urls.py."""

from django.urls import path

from accord.envelopes import views_hr

urlpatterns: list = [
    path("envelopes/", views_hr.envelope_list, name="hr_list"),
    path("enterprises/<uuid:public_id>/envelopes/new", views_hr.envelope_new, name="hr_new"),
    path(
        "enterprises/<uuid:public_id>/envelopes/check",
        views_hr.envelope_check,
        name="hr_check",
    ),
    path("envelopes/<uuid:public_id>/", views_hr.envelope_detail, name="hr_detail"),
    path("envelopes/<uuid:public_id>/send", views_hr.envelope_send, name="hr_send"),
    path("envelopes/<uuid:public_id>/seal", views_hr.envelope_seal, name="hr_seal"),
    path(
        "envelopes/<uuid:public_id>/approval",
        views_hr.envelope_request_approval,
        name="hr_request_approval",
    ),
    path("envelopes/<uuid:public_id>/withdraw", views_hr.envelope_withdraw, name="hr_withdraw"),
    path("envelopes/<uuid:public_id>/void", views_hr.envelope_void, name="hr_void"),
    path(
        "employments/<uuid:public_id>/timeline",
        views_hr.employment_timeline,
        name="hr_timeline",
    ),
]
