"""dramatiq's RabbitMQ broker as remind runs it (``BROKER_URL=amqp://...``).

Imported only for ``amqp://`` and ``amqps://`` URLs (``worker.runtime.broker.rabbitmq_broker``),
so a Redis-only install never loads pika. Queues, delay queues (``<queue>.DQ``, used for retry
backoff only) and dead-letter queues (``<queue>.XQ``, kept 7 days) are dramatiq's own; this
subclass adds one cheap figure, the messages waiting on a queue.
"""

from __future__ import annotations

import logging

import pika.exceptions
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.errors import BrokerConnectionError

log = logging.getLogger(__name__)


class RemindRabbitmqBroker(RabbitmqBroker):
    """``RabbitmqBroker`` with ``ready_messages``, for the results queue's bound."""

    def ready_messages(self, queue_name: str) -> int | None:
        """Messages waiting on ``queue_name`` (not those a consumer holds unacknowledged), from
        one passive ``queue.declare``; ``None`` when RabbitMQ cannot say (the caller sends on)."""
        try:
            self.declare_queue(queue_name, ensure=True)
            reply = self.channel.queue_declare(queue=queue_name, passive=True)
        except (pika.exceptions.AMQPError, BrokerConnectionError) as e:
            # a failed passive declare closes the channel: the next call opens another
            log.warning("could not read the depth of queue %s: %s", queue_name, e)
            del self.connection
            return None
        return int(reply.method.message_count)
