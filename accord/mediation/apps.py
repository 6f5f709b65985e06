from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "accord.mediation"
    label = "mediation"
    verbose_name = "劳动争议调解 mediation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.mediation import scoping  # noqa: F401  (registers the scoping functions)
        from accord.mediation.tasks import register

        register()
