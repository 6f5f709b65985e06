"""Seal pages, mounted at the site root."""

from django.urls import path

from accord.seals import views

app_name = "seals"

urlpatterns = [
    path("enterprises/<uuid:public_id>/seals", views.enterprise_seals, name="enterprise_seals"),
    path("seals/<uuid:public_id>/", views.seal_detail, name="seal_detail"),
    path("seals/<uuid:public_id>/grants", views.seal_grant, name="seal_grant"),
    path("seals/<uuid:public_id>/status", views.seal_status, name="seal_status"),
    path("seals/<uuid:public_id>/approvals", views.seal_request_approval, name="seal_approvals"),
    path("seal-grants/<uuid:public_id>/revoke", views.grant_revoke, name="grant_revoke"),
    path("seal-approvals/<uuid:public_id>/decide", views.approval_decide, name="approval_decide"),
]
