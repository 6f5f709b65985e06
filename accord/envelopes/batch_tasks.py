"""Tasks of batch sending (DEP 14): one task per chunk of rows, and 批量盖章.

A chunk is small (batches.CHUNK_ROWS rows), so that several worker processes share a large
file and a restarted worker loses little; every row is idempotent, so running a chunk again
sends nothing twice. Arguments are ids and row positions only: identity numbers and phones
stay in the encrypted row file, never in the queue.
"""

from __future__ import annotations

from django_tasks import task


@task()
def send_chunk(batch_pk: int, first: int, last: int) -> dict[str, int]:
    from accord.envelopes import batches

    return batches.send_chunk(batch_pk, first, last)


@task()
def seal_batch(batch_pk: int, user_pk: int, otp_token: str) -> dict:
    from accord.core.errors import AccordError
    from accord.envelopes import batches
    from accord.envelopes.models import Batch
    from accord.identity.models import User

    batch = Batch.objects.get(pk=batch_pk)
    user = User.objects.get(pk=user_pk)
    try:
        return batches.seal_all(batch, user=user, otp_token=otp_token)
    except AccordError as exc:  # a wrong or expired code: shown on the batch page
        return {"status": "refused", "error": exc.code}
