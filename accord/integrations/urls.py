from django.urls import path

from accord.integrations import views

app_name = "integrations"

urlpatterns = [
    path(
        "enterprises/<uuid:public_id>/webhooks",
        views.enterprise_webhooks,
        name="enterprise_webhooks",
    ),
]
