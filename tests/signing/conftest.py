from tests.signing.fixtures import *  # noqa: F403
