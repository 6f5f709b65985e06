from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "accord.integrations"
    label = "integrations"
    verbose_name = "Integrations: webhooks for enterprise HR systems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.integrations import scoping  # noqa: F401  (registers the scoping functions)
        from accord.integrations.sending import register_periodic_checks, register_subscribers

        register_subscribers()
        register_periodic_checks()
