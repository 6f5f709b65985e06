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
