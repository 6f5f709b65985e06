"""Routes of the envelope pages, one list per area (HR, worker, batches, workspace)."""

from accord.envelopes import urls_batch, urls_hr, urls_worker, urls_workspace

app_name = "envelopes"

urlpatterns = [
    *urls_hr.urlpatterns,
    *urls_worker.urlpatterns,
    *urls_batch.urlpatterns,
    *urls_workspace.urlpatterns,
]
