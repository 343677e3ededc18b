"""The fake channels remind ships for tests (worker.testing)."""

from __future__ import annotations

import pytest

from worker.channels.base import OutgoingMessage, Receipt
from worker.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from worker.testing import FailingChannel, FunctionChannel


def message(n: int = 0) -> OutgoingMessage:
    return OutgoingMessage(
        dispatch_id=f"A-1:early.1:{n}",
        channel="sms",
        to="+12125550123",
        template="t",
        locale="en",
        text="Hi",
    )


def test_a_function_channel_answers_with_its_function_and_keeps_each_message() -> None:
    channel = FunctionChannel(lambda m: Receipt("p", m.dispatch_id.upper()))
    assert channel.send(message()) == Receipt("p", "A-1:EARLY.1:0")
    assert (channel.name, channel.sent) == ("function", [message()])


def test_a_function_channel_passes_on_what_its_function_raises() -> None:
    def refuse(m: OutgoingMessage) -> Receipt:
        raise PermanentDeliveryError("no", code="21610")

    channel = FunctionChannel(refuse, name="twilio")
    with pytest.raises(PermanentDeliveryError):
        channel.send(message())
    assert channel.sent == [message()]


@pytest.mark.parametrize(
    ("permanent", "kind"), [(True, PermanentDeliveryError), (False, TransientDeliveryError)]
)
def test_a_failing_channel_raises_the_kind_of_delivery_error_asked(
    permanent: bool, kind: type[DeliveryError]
) -> None:
    channel = FailingChannel(permanent=permanent, code="30003", name="twilio")
    for n in range(3):
        with pytest.raises(kind) as error:
            channel.send(message(n))
        assert (error.value.permanent, error.value.code) == (permanent, "30003")
        assert str(error.value) == f"twilio refused dispatch A-1:early.1:{n}"
        assert "+1212" not in str(error.value)  # no recipient in what may reach a log
    assert channel.failures == 3


def test_a_failing_channel_fails_the_first_n_sends_then_answers() -> None:
    channel = FailingChannel(permanent=False, times=2)
    for n in range(2):
        with pytest.raises(TransientDeliveryError):
            channel.send(message(n))
    assert channel.send(message(2)) == Receipt("failing", "A-1:early.1:2")
    assert (channel.failures, len(channel.sent)) == (2, 3)


def test_a_failing_channel_hands_later_sends_to_the_channel_given() -> None:
    then = FunctionChannel(lambda m: Receipt("real", "r-1"))
    channel = FailingChannel(permanent=True, times=1, then=then)
    with pytest.raises(PermanentDeliveryError):
        channel.send(message(0))
    assert channel.send(message(1)) == Receipt("real", "r-1")
    assert then.sent == [message(1)]
