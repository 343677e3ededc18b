"""The two brokers the worker tests run on: Redis (always) and RabbitMQ (when one answers).

RabbitMQ is looked for at ``REMIND_TEST_AMQP_URL``, by default the standard port on this machine
with the default account. When nothing answers there the RabbitMQ variants are skipped with the
reason and the URL, except under ``CI=true``, where they fail: CI machines run RabbitMQ.

Each test session gets a vhost of its own (``rabbitmqctl add_vhost``, deleted at the end), so
runs from several checkouts on one server never consume each other's messages. Where
``rabbitmqctl`` cannot be used (a server in a container, another host) the URL's own vhost is
used; every test deletes the queues it uses (with their ``.DQ`` and ``.XQ``) before and after,
but two runs at once on that vhost can take each other's messages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pika
import pytest
import redis
from pika.exceptions import AMQPError

from worker.logs import mask
from worker.storage import connection

#: Where the RabbitMQ variants look for a server.
AMQP_URL = os.environ.get("REMIND_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
#: Every queue remind declares: the actors', the results queue's, the visit tasks'.
QUEUES = ("intake", "dispatch", "reminder_results", "field_visits")
BROKERS = ("redis", "amqp")
#: Keys in the test Redis where tests/settle_counter.py counts the messages workers enqueue and
#: settle (ack or dead-letter).
ENQUEUED = "test:workers:enqueued"
SETTLED = "test:workers:settled"


def shown(url: str) -> str:
    """``url`` with its password hidden, for skip reasons and messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return mask(url)


def unreachable(url: str) -> str | None:
    """Why no RabbitMQ server can be used at ``url``, or ``None`` when one answers."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as e:
        return f"nothing answers on {host}:{port} ({e})"
    try:
        pika.BlockingConnection(pika.URLParameters(url)).close()
    except AMQPError as e:
        return f"the server refused the connection ({type(e).__name__}: {e})"
    return None


def need_rabbitmq(url: str = AMQP_URL) -> None:
    """Skip (locally) or fail (with ``CI=true``) when no RabbitMQ server answers at ``url``."""
    reason = unreachable(url)
    if reason is None:
        return
    message = f"RabbitMQ at {shown(url)}: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the RabbitMQ tests must run in CI: {message}")
    pytest.skip(message)


def _rabbitmqctl(*args: str) -> bool:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        return False
    done = subprocess.run([tool, *args], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


@contextmanager
def own_vhost(url: str = AMQP_URL) -> Iterator[str]:
    """``url`` on a new vhost that is deleted afterwards, or ``url`` itself without rabbitmqctl."""
    need_rabbitmq(url)
    parts = urlsplit(url)
    vhost = f"remind-test-{uuid.uuid4().hex[:12]}"
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")  # rabbitmqctl's node is local
    if not (local and _rabbitmqctl("add_vhost", vhost)):
        yield url
        return
    try:
        user = parts.username or "guest"
        if not _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
            raise RuntimeError(f"rabbitmqctl set_permissions -p {vhost} {user} failed")
        yield f"{parts.scheme}://{parts.netloc}/{quote(vhost, safe='')}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def delete_queues(url: str, queues: tuple[str, ...] = QUEUES) -> None:
    """Delete ``queues`` and their delay and dead-letter queues on ``url``'s vhost."""
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = conn.channel()
        for queue in queues:
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
    finally:
        conn.close()


def broker_url_for(kind: str, redis_url: str, amqp_url: str | None) -> str:
    """The ``BROKER_URL`` of broker ``kind``: the test Redis's broker DB, or ``amqp_url``."""
    if kind == "redis":
        return connection.with_db(redis_url, connection.DEFAULT_BROKER_DB)
    assert amqp_url is not None
    return amqp_url


def queued(url: str, queue: str) -> list[dict[str, Any]]:
    """The dramatiq messages waiting on ``queue`` (decoded JSON), taken off it on RabbitMQ.

    On Redis they are read where dramatiq keeps them (``dramatiq:<queue>.msgs``) and left there.
    """
    if url.startswith(("amqp://", "amqps://")):
        conn = pika.BlockingConnection(pika.URLParameters(url))
        try:
            channel = conn.channel()
            bodies = []
            while True:
                method, _props, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    return [json.loads(b) for b in bodies]
                bodies.append(body)
        finally:
            conn.close()
    client = redis.Redis.from_url(url)  # dramatiq's own data: bytes, as its broker reads it
    try:
        return [json.loads(m) for m in client.hvals(f"dramatiq:{queue}.msgs")]
    finally:
        client.close()


def dead_letters(url: str, queue: str) -> list[tuple[dict[str, Any], bytes]]:
    """The messages in ``queue``'s dead-letter queue: (AMQP headers or ``{}``, body).

    RabbitMQ's are taken off the queue; their ``x-death`` header says why they were dead-lettered.
    """
    if url.startswith(("amqp://", "amqps://")):
        conn = pika.BlockingConnection(pika.URLParameters(url))
        try:
            channel = conn.channel()
            found = []
            while True:
                method, props, body = channel.basic_get(f"{queue}.XQ", auto_ack=True)
                if method is None:
                    return found
                found.append((dict(props.headers or {}), body))
        finally:
            conn.close()
    client = redis.Redis.from_url(url)
    try:
        return [({}, m) for m in client.hvals(f"dramatiq:{queue}.XQ.msgs")]
    finally:
        client.close()


def publish_raw(url: str, queue: str, body: bytes) -> None:
    """Put ``body`` on RabbitMQ queue ``queue`` as any AMQP client could, bypassing dramatiq."""
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        conn.channel().basic_publish(exchange="", routing_key=queue, body=body)
    finally:
        conn.close()


@contextmanager
def remind_worker(
    env: dict[str, str], log: Path, cwd: Path, threads: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """``remind worker`` itself (its supervisor, then dramatiq): one process of ``threads``
    threads writing to ``log``, stopped by SIGTERM (then killed after 30 s) after the block."""
    command = [sys.executable, "-m", "worker.cli", "worker", "--processes", "1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "--threads", str(threads)],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
