"""``accord db_worker``: django-tasks' database worker, with a heartbeat lease (core/workers.py).

The worker takes its lease and gives dead workers' RUNNING tasks back to the queue before it
takes any task, then renews the lease from a heartbeat thread while it runs; it hands the
lease back when it stops. Killed, it stops renewing: the next live worker requeues its task.
"""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from accord.core import workers


class Command(db_worker.Command):
    help = db_worker.Command.help

    def handle(self, *args, worker_id: str, **options) -> None:
        workers.beat(worker_id)
        workers.reap()
        heartbeat = workers.Heartbeat(worker_id)
        heartbeat.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            heartbeat.stop()
            heartbeat.join(timeout=5)
            workers.release(worker_id)
