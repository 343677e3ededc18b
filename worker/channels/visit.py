"""Field visits: a task with the rendered brief, for the people who knock on doors.

With ``REMIND_VISIT_WEBHOOK_URL`` the task is POSTed there as JSON, signed with
``REMIND_SECRET_KEY`` (``X-Remind-Timestamp`` and ``X-Remind-Signature: sha256=<hex>`` over
``<timestamp>.<body>``, ``worker.channels.signing``). Without it the task goes to the dramatiq
queue ``field_visits`` (actor ``field_visit``), for a consumer the field team runs
(docs/contracts.md, Environment).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import dramatiq

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.signing import body_signature
from worker.clock import Clock, isoformat_utc, to_epoch
from worker.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    ProviderConfigurationError,
    TransientDeliveryError,
)

QUEUE = "field_visits"
ACTOR = "field_visit"

#: Puts one task on the queue and returns the message id (a dramatiq broker in production).
Enqueue = Callable[[dict[str, Any]], str]


def visit_task(message: OutgoingMessage, clock: Clock) -> dict[str, Any]:
    """The task: who, where, which account and step, and the brief to read before going."""
    return {
        "dispatch_id": message.dispatch_id,
        "account_id": message.account_id,
        "address": message.to,
        "template": message.template,
        "locale": message.locale,
        "brief": message.text,
        "created_at": isoformat_utc(clock.now()),
    }


class QueuedVisit:
    """Puts each visit task on the ``field_visits`` queue."""

    name = "queue"

    def __init__(self, enqueue: Enqueue, clock: Clock) -> None:
        self.enqueue = enqueue
        self.clock = clock

    def send(self, message: OutgoingMessage) -> Receipt:
        """Enqueue the task; the receipt holds the queue's message id."""
        return Receipt(self.name, self.enqueue(visit_task(message, self.clock)))


class WebhookVisit:
    """POSTs each visit task as signed JSON to the field team's webhook."""

    name = "webhook"

    def __init__(self, url: str, secret_key: str, clock: Clock, *, timeout: float) -> None:
        self.url = url
        self.secret_key = secret_key
        self.clock = clock
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> Receipt:
        """POST the task; a 2xx answer is a receipt (its JSON ``id``, else the dispatch id)."""
        body = json.dumps(visit_task(message, self.clock), ensure_ascii=False).encode()
        stamp = str(int(to_epoch(self.clock.now())))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Remind-Timestamp": stamp,
                "X-Remind-Signature": body_signature(self.secret_key, stamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as e:
            raise http_refusal(e.code) from e
        except urllib.error.URLError as e:
            # no connection was made: the task was never handed over
            raise TransientDeliveryError(
                f"visit webhook unreachable: {type(e.reason).__name__}", code="connect_failed"
            ) from e
        except OSError as e:  # a read timeout (TimeoutError) or a connection broken mid-answer
            raise AmbiguousDeliveryError(
                f"visit webhook did not answer: {type(e).__name__}", code="read_timeout"
            ) from e
        return Receipt(self.name, _task_id(answer) or message.dispatch_id)


def http_refusal(status: int) -> DeliveryError:
    """What a webhook's error status means for the task."""
    code = f"http_{status}"
    if status in (401, 403):
        refused = f"visit webhook refused our signature ({status})"
        return ProviderConfigurationError(refused, code=code)
    if status == 429:
        return TransientDeliveryError("visit webhook asks to slow down (429)", code=code)
    if status >= 500:
        return AmbiguousDeliveryError(f"visit webhook failed ({status})", code=code)
    return PermanentDeliveryError(f"visit webhook refused the task ({status})", code=code)


def _task_id(answer: bytes) -> str | None:
    try:
        data = json.loads(answer) if answer else None
    except ValueError:
        return None
    return str(data["id"]) if isinstance(data, dict) and data.get("id") else None


def dramatiq_enqueue(broker: Any = None, queue: str = QUEUE, actor: str = ACTOR) -> Enqueue:
    """An ``Enqueue`` onto ``broker``, by default the one dramatiq has when a task goes."""

    def enqueue(task: dict[str, Any]) -> str:
        # read at send time: the worker process sets its broker up after the App is built
        on = broker if broker is not None else dramatiq.get_broker()
        on.declare_queue(queue)
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=queue, actor_name=actor, args=(task,), kwargs={}, options={}
        )
        sent = on.enqueue(message)
        return str(sent.message_id)

    return enqueue
