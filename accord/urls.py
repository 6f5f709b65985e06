"""Every app's URLs. With accord/site this is the only code that may import every app."""

from django.urls import include, path, re_path

from accord.contracts.api import router as contracts_router
from accord.core import pages as core_pages
from accord.core import urls as core_urls
from accord.core.api import api
from accord.envelopes.api import router as envelopes_router
from accord.envelopes.api_batches import router as batches_router
from accord.envelopes.api_lifecycle import router as lifecycle_router
from accord.envelopes.api_workspace import router as workspace_router
from accord.identity import urls as identity_urls
from accord.identity.api import router as identity_router
from accord.integrations.api import router as integrations_router
from accord.mediation.api import router as mediation_router
from accord.seals.api import router as seals_router
from accord.signing import views as signing_views
from accord.signing.api import router as signing_router
from accord.site import urls as site_urls

api.add_router("", identity_router)
api.add_router("", contracts_router)
api.add_router("", signing_router)
api.add_router("", envelopes_router)
api.add_router("", batches_router)
api.add_router("", lifecycle_router)
api.add_router("", workspace_router)
api.add_router("", seals_router)
api.add_router("", integrations_router)
api.add_router("", mediation_router)

# The shell's, identity's and the site's pages keep their historic names ``web:…``: one
# namespace, assembled here from the three apps that declare it.
web_pages = site_urls.urlpatterns + identity_urls.urlpatterns + core_urls.urlpatterns

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ledger/", include("accord.ledger.urls")),
    path("signing/", include("accord.signing.urls")),
    path("tsa", signing_views.tsa, name="tsa"),
    path("verify", signing_views.verify_page, name="verify"),
    path("", include("accord.envelopes.urls")),
    path("", include("accord.seals.urls")),
    path("", include("accord.integrations.urls")),
    path("", include("accord.mediation.urls")),
    path("", include((web_pages, "web"))),
    # Last: every other address is the site's 404 page (a slash too many or too few redirects).
    re_path(r"^(?P<path>.*)$", core_pages.unknown_url, name="unknown_url"),
]
handler404 = "accord.core.pages.not_found"
handler500 = "accord.core.pages.server_error"
