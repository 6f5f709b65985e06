from django.apps import AppConfig


class EnvelopesConfig(AppConfig):
    name = "accord.envelopes"
    label = "envelopes"
    verbose_name = "福易签 envelopes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.envelopes import (
            batch_tasks,
            scoping,  # noqa: F401  (registers the scoping functions)
        )
        from accord.envelopes.lookup import register_with_verify
        from accord.envelopes.tasks import register

        register()
        batch_tasks.register_sweep()
        register_with_verify()
