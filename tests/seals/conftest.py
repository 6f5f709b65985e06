from tests.signing.fixtures import contract_pdf, platform, unreachable_revocation_urls  # noqa: F401
