"""Tasks of batch sending (DEP 14): tasks that send a batch's chunks, and 批量盖章.

A ``send_batch`` task leases chunks of its batch until none is left (batch_send.work). When
the chunks left are held by other workers, it defers one follow-up task to when their leases
run out: if such a worker was killed, the follow-up takes its chunk up. Arguments are ids
only: identity numbers and phones stay in the encrypted chunks, never in the queue.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from accord.core import schedule
from accord.core.errors import AccordError
from accord.envelopes import batch_send, batches
from accord.envelopes.models import Batch, BatchChunk
from accord.identity.models import User


def _follow_up(batch_pk: int, when) -> None:
    if not default_task_backend.supports_defer:
        return  # (the immediate backend of some tests: nothing runs later there)
    transaction.on_commit(lambda: send_batch.using(run_after=when).enqueue(batch_pk))


@task()
def send_batch(batch_pk: int) -> dict[str, int]:
    return batch_send.work(batch_pk, follow_up=_follow_up)


@task()
def seal_batch(batch_pk: int, user_pk: int, otp_token: str) -> dict:
    batch = Batch.objects.get(pk=batch_pk)
    user = User.objects.get(pk=user_pk)
    try:
        return batches.seal_all(batch, user=user, otp_token=otp_token)
    except AccordError as exc:  # a wrong or expired code: shown on the batch page
        return {"status": "refused", "error": exc.code}


def register_sweep() -> None:
    @schedule.every(60, "envelopes.batch_sweep")
    def sweep() -> None:
        """Take up batches whose tasks were all lost (every worker killed): a sending batch
        with a chunk whose lease ran out gets a task again."""
        stalled = (
            BatchChunk.objects.filter(
                batch__status__in=[Batch.Status.QUEUED, Batch.Status.SENDING],
                status=BatchChunk.Status.PENDING,
                leased_until__lt=timezone.now(),
            )
            .values_list("batch_id", flat=True)
            .distinct()
        )
        for batch_pk in list(stalled[:100]):
            send_batch.enqueue(batch_pk)
