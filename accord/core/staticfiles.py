"""Static files compressed and named by their content, in development as in production.

WhiteNoise's ``CompressedManifestStaticFilesStorage`` writes each file with its hash in the name
plus gzip and Brotli copies (``accord collectstatic``, which ``make run`` runs), and WhiteNoise
serves the compressed copy with a year's ``Cache-Control: immutable``. Django uses the hashed
names only when DEBUG is off; this storage uses them whenever collectstatic has written them, so
``make run`` (development mode) sends Bootstrap compressed too. Without a manifest (the tests,
or a file added since the last collectstatic) a file keeps its plain name, served from the
finders.
"""

from __future__ import annotations

from django.contrib.staticfiles.apps import StaticFilesConfig as StaticFilesAppConfig
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name, force=False):
        if self.hashed_files:
            try:
                return super().url(name, force=True)
            except ValueError:  # not collected yet: the plain name, from the finders
                pass
        return FileSystemStorage.url(self, name)


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
