"""Routes of the signing app. Mount with ``path("signing/", include("accord.signing.urls"))``;
``/tsa`` and ``/verify`` are top-level names (DESIGN.md) routed to ``views.tsa`` and
``views.verify_page`` by the project's urls.py."""

from django.urls import path

from accord.signing import views

app_name = "signing"

urlpatterns = [
    path("ocsp", views.ocsp, name="ocsp"),
    path("ocsp/<path:encoded>", views.ocsp, name="ocsp-get"),
    path("crl/<str:serial>.crl", views.crl, name="crl"),
    path("ca/<str:serial>.cer", views.ca_certificate, name="ca-certificate"),
    path("root.cer", views.root_certificate, name="root-certificate"),
    path("tsa", views.tsa, name="tsa"),
    path("verify", views.verify_page, name="verify"),
    path("webhooks/<slug:name>", views.provider_webhook, name="provider-webhook"),
]
