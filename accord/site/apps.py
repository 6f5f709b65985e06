from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The thin top of Accord: home, navigation, health and the demo-data loader. With
    accord/urls.py it is the only code that may import every app (tests/test_layers.py)."""

    name = "accord.site"
    label = "site"
    verbose_name = "Accord site"

    def ready(self) -> None:
        from accord.site import navigation

        navigation.register_page_links()
