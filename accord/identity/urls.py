"""Identity's pages. They share the historic ``web`` namespace with the shell's and the site's
pages (accord/urls.py mounts the three lists under it), so their URL names stay ``web:…``."""

from django.urls import path

from accord.identity import views

app_name = "web"

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("login/otp", views.login_otp_view, name="login_otp"),
    path("login/otp/enrol", views.login_enrol_view, name="login_enrol"),
    path("login/phone", views.phone_login_view, name="login_phone"),
    path("logout", views.logout_view, name="logout"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<uuid:public_id>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<uuid:public_id>/tokens", views.enterprise_tokens, name="enterprise_tokens"),
    path(
        "enterprises/<uuid:public_id>/employees",
        views.enterprise_register_employee,
        name="enterprise_register_employee",
    ),
    path("employments/<uuid:public_id>/end", views.employment_end, name="employment_end"),
    path("account/authenticator", views.account_authenticator, name="account_authenticator"),
    path("staff/", views.staff_accounts, name="staff_accounts"),
    path("registry/import", views.registry_import, name="registry_import"),
    path("people/", views.person_list, name="person_list"),
    path("people/<uuid:public_id>/", views.person_detail, name="person_detail"),
    path("people/<uuid:public_id>/reveal", views.person_reveal, name="person_reveal"),
    path("people/<uuid:public_id>/verify", views.person_verify, name="person_verify"),
]
