"""Accord's settings with one change: the URLconf adds the bare view the API is compared with."""

from accord.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
