"""Contract test: every request the SMS and voice channels make, through the official twilio
client, passes Twilio's own OpenAPI description, served by Prism as a validating mock.

Prism (npm ``@stoplight/prism-cli``) serves ``twilio_api_v2010.json`` from the npm package
``@twilio/cli-core`` and answers 422 to a request that breaks the schema. ``.ci/run`` installs
both into ``.cache/npm``; without them (or without Node.js) the test is skipped locally and
fails in CI (``CI=true``), so the contract is never silently left unchecked there.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from twilio.rest import Client

from worker.channels.sms import Sender, TwilioSms
from worker.channels.twilio_api import twilio_client
from worker.channels.voice import TwilioVoice
from worker.errors import PermanentDeliveryError

from .twilio_helpers import AGENT, FROM, PUBLIC, SID, TOKEN, call, sms

ROOT = Path(__file__).resolve().parent.parent
NPM = ROOT / ".cache" / "npm"
PRISM = NPM / "node_modules" / ".bin" / "prism"
SPEC = NPM / "node_modules/@twilio/cli-core/src/services/twilio-api/twilio_api_v2010.json"
INSTALL = "npm install --prefix .cache/npm @stoplight/prism-cli @twilio/cli-core"
#: Seconds Prism may take to load the description (about 5 s on the project's machines).
STARTUP = 120


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (PRISM.exists() and SPEC.exists()):
        return f"Prism or Twilio's OpenAPI description is not installed ({INSTALL})"
    return None


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    """The base URL of Prism serving Twilio's API description."""
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Twilio contract test must run in CI: {missing}")
        pytest.skip(missing)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # keep reading, or Prism blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        while "Prism is listening" not in (line := lines.get(timeout=STARTUP)):
            if line == "":
                pytest.fail("Prism exited before it was listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def client(prism: str) -> Client:
    return twilio_client(SID, TOKEN, prism, timeout=30)


@pytest.mark.parametrize(
    ("sender", "public"),
    [
        (Sender(FROM), PUBLIC),
        (Sender(FROM), None),
        (Sender(messaging_service_sid="MG" + "0123456789abcdef" * 2), PUBLIC),
    ],
)
def test_every_sms_request_passes_twilio_s_schema(
    client: Client, sender: Sender, public: str | None
) -> None:
    channel = TwilioSms(client, sender, public_base_url=public)

    for text in (
        "Hi Sam, a reminder. Reply STOP to opt out.",
        "王小明您好，回复TD退订",
        "x" * 1600,
    ):
        receipt = channel.send(sms(text))
        assert receipt.provider_id.startswith("SM")


@pytest.mark.parametrize("agent", [AGENT, None])
def test_every_call_request_passes_twilio_s_schema(
    client: Client, redis_client: redis.Redis, agent: str | None
) -> None:
    channel = TwilioVoice(
        client, FROM, public_base_url=PUBLIC, agent_number=agent, store=redis_client
    )

    for message in (call(), call(voicemail=None), call("您好。", "请回电。", locale="zh-Hans")):
        receipt = channel.send(message)
        assert receipt.provider_id.startswith("CA")


def test_prism_refuses_a_request_that_breaks_the_schema(client: Client) -> None:
    # the control: a messaging service SID of the wrong form must not pass
    channel = TwilioSms(client, Sender(messaging_service_sid="MG1"), public_base_url=None)

    with pytest.raises(PermanentDeliveryError) as refused:
        channel.send(sms())

    assert refused.value.code == "http_422"
