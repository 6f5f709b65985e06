from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as StaticFilesAppConfig


class CoreConfig(AppConfig):
    name = "accord.core"
    label = "core"
    verbose_name = "Accord core"

    def ready(self) -> None:
        from accord.core.notifications import register_subscribers

        register_subscribers()


class StaticFilesConfig(StaticFilesAppConfig):
    """``django.contrib.staticfiles``, collecting only what pages can load from the npm packages:
    their minified builds (and those builds' source maps), not the ES-module, right-to-left and
    unminified copies and their maps (46 MB of ECharts alone), which ``collectstatic`` would otherwise hash and compress."""

    ignore_patterns = [
        *StaticFilesAppConfig.ignore_patterns,
        "*.esm.*",
        "*.rtl.*",
        "*.cjs*",
        "*.amd.*",
        "*.mjs*",
        "*.d.ts",
        "echarts.js*",
        "echarts.common*",
        "echarts.simple*",
        "extension",
        "bootstrap.css*",
        "bootstrap.js*",
        "bootstrap.bundle.js*",
        "bootstrap-grid*",
        "bootstrap-reboot*",
        "bootstrap-utilities*",
        "htmx.js*",
        "ext",
    ]
