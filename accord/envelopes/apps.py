from django.apps import AppConfig

from accord.identity import login_intro as intros


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
        from accord.envelopes.views_worker import login_intro

        register()
        batch_tasks.register_sweep()
        register_with_verify()
        intros.register(login_intro)  # the SMS link's login page names the enterprise and document
