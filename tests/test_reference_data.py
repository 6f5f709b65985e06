"""Transactional tests (workers, browsers) flush the database; the next one still finds the
reference data that migrations load (tests/conftest.py: _reference_data)."""

import pytest

from accord.contracts.models import MinimumWage, TemplateVersion
from accord.identity.models import IndustryDivision, Street


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_reference_data_is_there_in_every_transactional_test(run, make_enterprise):
    make_enterprise(name=f"第{run}家")  # creating one, then the flush at teardown, then again
    assert Street.objects.count() == 10 and IndustryDivision.objects.count() == 97
    assert (
        MinimumWage.objects.exists()
        and TemplateVersion.objects.filter(status="published").count() == 10
    )
