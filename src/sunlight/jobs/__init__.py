"""Background jobs on Celery.

Embedded default: a durable SQLite-backed broker and a worker thread inside the web process.
At scale: Redis (or RabbitMQ) with `sunlight worker` processes. Jobs must be idempotent: a job
may run twice (a crash after it finished but before it was acknowledged), and a job enqueued
after a commit can be lost by a crash in between, so each domain has a reconciler that
re-enqueues work its own tables say is still pending.
"""

from sunlight.jobs.queue import JobQueue

__all__ = ["JobQueue"]
