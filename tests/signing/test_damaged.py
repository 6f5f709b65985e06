"""A damaged file is a verdict ("cannot be read"), never a crash (issue #5: a changed byte makes
/verify say so plainly)."""

import pytest

from accord.signing import services
from accord.signing.verify import verify_pdf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("which", [0, 1, 2, -1])
def test_esl_art13_a_changed_stream_marker_is_reported_not_a_crash(platform, contract_pdf, which):
    signed = services.seal_with_bureau(contract_pdf).pdf
    starts = [i for i in range(len(signed)) if signed.startswith(b"endstream", i)]
    at = starts[which]
    damaged = signed[:at] + b"endstreaX" + signed[at + 9 :]
    assert not verify_pdf(damaged).valid
