from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "accord.signing"
    label = "signing"
    verbose_name = "Accord signing"
    default_auto_field = "django.db.models.BigAutoField"
