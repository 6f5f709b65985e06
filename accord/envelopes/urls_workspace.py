"""Routes of the envelopes pages (workspace); included by accord/envelopes/urls.py."""

from django.urls import path

from accord.envelopes import views_workspace as views

urlpatterns: list = [
    path(
        "enterprises/<uuid:public_id>/contracts",
        views.contract_workspace,
        name="workspace",
    ),
    path(
        "enterprises/<uuid:public_id>/contracts/archive-exports",
        views.start_archive_export,
        name="archive_start",
    ),
    path(
        "enterprises/<uuid:public_id>/contracts/archive-exports/<uuid:export_id>/download",
        views.download_archive_export,
        name="archive_download",
    ),
    path("envelopes/<uuid:public_id>/evidence.pdf", views.evidence_pdf, name="evidence_pdf"),
]
