"""dramatiq's RabbitMQ broker as remind runs it (``BROKER_URL=amqp://...``).

Imported only for ``amqp://`` and ``amqps://`` URLs (``worker.runtime.broker.rabbitmq_broker``),
so a Redis-only install never loads pika. Queues, delay queues (``<queue>.DQ``, used for retry
backoff only) and dead-letter queues (``<queue>.XQ``, kept 7 days) are dramatiq's own; this
subclass adds one cheap figure, the messages waiting on a queue, and a consumer that dead-letters
a message the worker failed as annotated with why (``worker.runtime.deadletter``) instead of
rejecting it as it arrived.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import pika
import pika.exceptions
from dramatiq.brokers.rabbitmq import RabbitmqBroker, _RabbitmqConsumer
from dramatiq.common import xq_name
from dramatiq.errors import BrokerConnectionError, ConnectionClosed

log = logging.getLogger(__name__)


class DeadLetteringConsumer(_RabbitmqConsumer):
    """Dead-letters a failed message with its options as the worker left them (the reason)."""

    def nack(self, message: Any) -> None:
        """Publish the message, annotated, to ``<queue>.XQ``, then acknowledge the original.

        Both go in one callback on the consumer's channel, publish first: RabbitMQ handles a
        channel's frames in order, so a dead letter is never acknowledged away before it is
        queued (a connection lost in between redelivers the original: dead-lettered twice at
        worst, with the same message id)."""
        tag = message._tag
        if tag not in self.known_tags:
            log.warning("Failed to nack message: not in known tags.")
            return
        self.known_tags.discard(tag)
        body = message._message.encode()
        persistent = pika.BasicProperties(delivery_mode=2)

        def dead_letter(channel: Any) -> None:
            channel.basic_publish("", xq_name(self.queue_name), body, properties=persistent)
            channel.basic_ack(tag)

        try:
            self.connection.add_callback_threadsafe(partial(dead_letter, self.channel))
        except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError) as e:
            raise ConnectionClosed(e) from None  # type: ignore[no-untyped-call]


class RemindRabbitmqBroker(RabbitmqBroker):
    """``RabbitmqBroker`` with ``ready_messages``, for the results queue's bound, and a consumer
    that dead-letters with the reason."""

    @property
    def consumer_class(self) -> type[DeadLetteringConsumer]:
        """The consumer every queue gets."""
        return DeadLetteringConsumer

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
