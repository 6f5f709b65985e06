import pytest

from accord.identity.models import Role
from tests.envelopes.conftest import platform, shop  # noqa: F401  (the signing fixtures)
from tests.support import factories


@pytest.fixture
def org(db):
    return factories.OrganisationFactory(name="福田区测试调解中心", kind="street")


@pytest.fixture
def officer(db):
    return factories.UserFactory(role=Role.BUREAU_OFFICER)


@pytest.fixture
def mediator(org):
    return factories.MediatorFactory(organisation=org, user=True)
