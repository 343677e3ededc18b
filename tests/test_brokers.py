"""Choosing the broker from ``BROKER_URL``, and how the RabbitMQ tests find (or miss) a server."""

from __future__ import annotations

import socket
import sys

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from worker.errors import ConfigError
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.deadletter import MalformedMessages
from worker.runtime.rabbitmq import RemindRabbitmqBroker

from .broker_helpers import delete_queues, need_rabbitmq, shown


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "amqp"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/%2F", True),
        ("amqps://u:p@rabbit.internal:5671/remind", True),
        ("redis://127.0.0.1:6390/1", False),
        ("unix:///tmp/redis.sock?db=1", False),
    ],
)
def test_the_url_scheme_picks_the_broker(url: str, amqp: bool) -> None:
    assert is_amqp(url) is amqp


def test_an_amqp_url_makes_a_rabbitmq_broker_with_confirms_and_remind_middleware() -> None:
    broker = make_broker("amqp://guest:guest@127.0.0.1:5672/remind")  # no connection yet
    assert isinstance(broker, RemindRabbitmqBroker)
    assert broker.confirm_delivery is True
    assert broker.parameters.virtual_host == "remind"
    assert any(isinstance(m, MalformedMessages) for m in broker.middleware)
    assert make_broker("amqp://guest:guest@127.0.0.1:5672/%2F", confirm=False).confirm_delivery is (
        False
    )


def test_a_redis_url_makes_a_redis_broker_with_the_same_middleware() -> None:
    broker = make_broker("redis://127.0.0.1:6390/1")
    assert isinstance(broker, RedisBroker)
    assert any(isinstance(m, MalformedMessages) for m in broker.middleware)


def test_amqp_without_pika_installed_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "worker.runtime.rabbitmq", None)  # import fails
    with pytest.raises(ConfigError, match=r"pip install 'dramatiq\[rabbitmq\]'"):
        make_broker("amqp://guest:guest@127.0.0.1:5672/%2F")


def test_without_a_rabbitmq_server_the_tests_skip_naming_the_url_and_fail_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"amqp://guest:secret@127.0.0.1:{_free_port()}/%2F"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        need_rabbitmq(url)
    assert str(skipped.value).startswith(f"RabbitMQ at {shown(url)}: nothing answers on 127.0.0.1")
    assert "secret" not in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(
        pytest.fail.Exception, match="the RabbitMQ tests must run in CI: RabbitMQ at"
    ):
        need_rabbitmq(url)


def test_shown_hides_the_password() -> None:
    assert shown("amqp://remind:s3cret@h:5672/v") == "amqp://remind:***@h:5672/v"
    assert shown("amqp://h:5672/v") == "amqp://h:5672/v"


def test_rabbitmq_ready_count_survives_a_queue_deleted_under_it(amqp_url: str) -> None:
    broker = make_broker(amqp_url)
    try:
        broker.declare_queue("reminder_results")
        assert broker.ready_messages("reminder_results") == 0
        for n in range(3):
            broker.enqueue(
                dramatiq.Message(
                    queue_name="reminder_results",
                    actor_name="reminder_result",
                    args=({"n": n},),
                    kwargs={},
                    options={},
                )
            )
        assert broker.ready_messages("reminder_results") == 3
        delete_queues(amqp_url, ("reminder_results",))
        # unknown, not an error: the sink sends on, and the confirmed publish declares it again
        assert broker.ready_messages("reminder_results") is None
        broker.enqueue(
            dramatiq.Message(
                queue_name="reminder_results",
                actor_name="reminder_result",
                args=({"n": 3},),
                kwargs={},
                options={},
            )
        )
        assert broker.ready_messages("reminder_results") == 1
    finally:
        broker.close()
        delete_queues(amqp_url, ("reminder_results",))
