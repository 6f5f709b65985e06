from django.apps import AppConfig

from accord.core.api import register_token_authenticator


class IdentityConfig(AppConfig):
    name = "accord.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from accord.identity import scoping  # noqa: F401  (registers the scoping functions)
        from accord.identity.auth import authenticate_token

        # The API's bearer tokens are identity's ApiTokens; core's API asks this function.
        register_token_authenticator(authenticate_token)
