"""Routes of the envelopes pages (worker); included by accord/envelopes/urls.py."""

from django.urls import path

from accord.envelopes import views_worker as views

urlpatterns: list = [
    path("s/<str:token>", views.link, name="worker_link"),
    path("my/sign/<uuid:party_id>", views.sign_page, name="worker_sign"),
    path("my/sign/<uuid:party_id>/verify", views.verify_identity, name="worker_verify"),
    path("my/sign/<uuid:party_id>/read", views.record_read, name="worker_read"),
    path("my/sign/<uuid:party_id>/consent", views.consent, name="worker_consent"),
    path("my/sign/<uuid:party_id>/signature", views.save_signature, name="worker_signature"),
    path(
        "my/sign/<uuid:party_id>/signature.png",
        views.signature_image,
        name="worker_signature_image",
    ),
    path("my/sign/<uuid:party_id>/code", views.send_code, name="worker_code"),
    path("my/sign/<uuid:party_id>/sign", views.sign, name="worker_sign_submit"),
    path("my/sign/<uuid:party_id>/reject", views.reject, name="worker_reject"),
    path("my/sign/<uuid:party_id>/pages/<int:number>.png", views.page_png, name="worker_page"),
    path("my/documents", views.my_documents, name="worker_documents"),
    path(
        "my/documents/<uuid:envelope_id>/<int:position>.pdf",
        views.my_document_pdf,
        name="worker_document_pdf",
    ),
]
