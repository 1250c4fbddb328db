"""The Celery app both sides build: the controller to send tasks, `vodstack worker` to run them.

The guarantees the pipeline needs are settings here, not conventions:

- `task_acks_late`: a message is acknowledged after its task returned, so a worker that dies
  mid-task (its connection closes) leaves the message unacknowledged and RabbitMQ hands it to
  another consumer at once;
- `task_reject_on_worker_lost`: when a pool process dies under a living worker (SIGKILL, the
  OOM killer), the worker rejects the message with requeue instead of acknowledging it as
  failed, so that task is redelivered too;
- `worker_prefetch_multiplier = 1`: a worker process holds one message at a time; the
  controller keeps only as many tasks in flight as there are worker processes anyway, so the
  queue's order is the claim order of jobs.schedule;
- no result backend: outcomes and progress travel on the controller's status queue (kombu,
  jobs.task_message), which also carries stops back; no remote control, gossip or events, so
  a worker talks to nothing but its queues.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

from celery import Celery
from kombu.entity import Queue


def host_queue_name(queue: str) -> str:
    """A worker's own queue (see jobs.dispatch, "Host affinity")."""
    return f"{queue}.host.{socket.gethostname()}.{os.getpid()}"


def celery_app(broker_url: str, queue: str, host_queue: str | None = None) -> Celery:
    app = Celery("vodstack-pipeline", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_default_queue=queue,
        task_queues=[
            Queue(queue, routing_key=queue, durable=True),
            # Gone with its worker; what was in it comes back through the controller.
            *(
                [Queue(host_queue, routing_key=host_queue, durable=False, auto_delete=True)]
                if host_queue
                else []
            ),
        ],
        task_serializer="json",
        accept_content=["json"],
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # Fail fast when the broker is down instead of retrying a publish for minutes: the
        # controller tells the operator (its health turns 503) and tries again next round.
        broker_connection_max_retries=3,
        broker_transport_options={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
    )
    return app


def redacted(url: str) -> str:
    """The broker URL for messages: the password replaced."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
