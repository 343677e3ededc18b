"""``remind demo --live``: the real processes on a fast clock, sending and hearing back.

It starts the Twilio emulator and SMTP sink (``python -m worker.testing.fakes``) for whichever
provider the environment does not name, then ``remind web``, a worker and the scheduler, as
``remind run`` does, each on the demo clock (``worker.sim.live_setup``). Two accounts are
enrolled through ``POST /v1/accounts``; their SMS, email and (when the voice channel can go live)
call follow a second apart. It prints every outcome from the results stream and every request
and callback the fakes see, ends once each send has settled (an SMS delivered or undelivered
through its signed callback, an email received, a call's result) or after ``seconds``, and stops
every process it started. The children's logs are written to ``<data dir>/demo-live/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.processes import STOP_GRACE, child_env
from worker.sim import live_setup as setup
from worker.storage import keys
from worker.storage.connection import client, is_cluster_url, serving, with_db

#: Outcomes after which a channel has nothing more to say about a send.
SETTLED = {
    "sms": {"delivered", "undelivered", "failed", "suppressed", "unknown", "skipped"},
    "email": {"sent", "failed", "suppressed", "unknown", "skipped"},
    "voice": {"answered", "voicemail", "failed", "suppressed", "unknown", "skipped"},
}
#: Seconds the web service gets to answer /healthz after it starts.
WEB_START = 60.0


class Children:
    """Child processes in their own sessions, stopped in reverse order, stragglers killed."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen[str]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str], *, pipe: bool = False
    ) -> subprocess.Popen[str]:
        """Start ``argv``; its output goes to ``<logs>/<name>.log``, but with ``pipe`` its
        standard output comes back through the pipe."""
        log = (self.logs / f"{name}.log").open("w")
        out: IO[str] | int = subprocess.PIPE if pipe else log
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=log, text=True, start_new_session=True
        )
        log.close()  # the child holds its own copy
        self.procs.append((name, proc))
        return proc

    def exited(self) -> str | None:
        """The name of a child that has exited, if one has."""
        return next((name for name, p in self.procs if p.poll() is not None), None)

    def stop(self) -> list[str]:
        """SIGTERM each child (last started first), wait, kill what is left; the names."""
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                print(f"remind: {name} did not stop in {STOP_GRACE}s; killing it", flush=True)
                proc.kill()
                proc.wait()
            # the session's other processes (dramatiq's worker processes), if any is left
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        return [name for name, _ in self.procs]


def run_live_demo(settings: Settings, *, seconds: float, port: int, phone: str, email: str) -> int:
    """Run the live demo; 0 when every send settled in time, 1 otherwise."""
    logs = settings.data_dir / "demo-live"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "schedules").mkdir(exist_ok=True)
    (logs / "schedules" / "live-demo.yaml").write_text(setup.SCHEDULE)
    with serving(settings) as served, _databases(served) as (state_url, broker_url):
        kids = Children(logs)
        try:
            return _run(served, kids, state_url, broker_url, seconds=seconds, port=port,
                        phone=phone, email=email)  # fmt: skip
        finally:
            names = kids.stop()
            print(f"stopped: {', '.join(reversed(names))} (logs in {logs})", flush=True)


@contextmanager
def _databases(settings: Settings) -> Iterator[tuple[str, str]]:
    """The demo's state and broker databases, emptied before and after."""
    assert settings.redis_url is not None
    if is_cluster_url(settings.redis_url):
        # its worker, scheduler and web processes share a broker and a state database of their
        # own; a cluster has neither (``remind demo`` without --live runs on a cluster)
        raise ConfigError(
            "remind demo --live needs a single Redis server: unset REDIS_URL (the embedded one is "
            "used) or point it at a redis:// server"
        )
    urls = with_db(settings.redis_url, setup.STATE_DB), with_db(settings.redis_url, setup.BROKER_DB)
    for url in urls:
        client(url).flushdb()
    try:
        yield urls
    finally:
        for url in urls:
            client(url).flushdb()


def _run(settings: Settings, kids: Children, state_url: str, broker_url: str, *,
         seconds: float, port: int, phone: str, email: str) -> int:  # fmt: skip
    t0 = time.monotonic()
    base = child_env(settings)
    news: queue.Queue[dict[str, Any]] = queue.Queue()
    fakes = None
    if setup.needs_fakes(base):
        token = secrets.token_hex(16)
        proc = kids.start("fakes", setup.fakes_command(token), base, pipe=True)
        threading.Thread(target=_read, args=(proc, news), daemon=True).start()
        ready = news.get(timeout=30)
        if ready.get("event") != "ready":
            print(
                "error: the Twilio emulator and SMTP sink did not start (they need the dev "
                f"extras: pip install -e '.[dev]'); see {kids.logs}/fakes.log",
                flush=True,
            )
            return 1
        fakes = {"twilio": ready["twilio"], "smtp": ready["smtp"], "token": token}
    port = port or setup.free_port()
    plan = setup.plan(base, redis_url=state_url, broker_url=broker_url,
                      schedules=kids.logs / "schedules", settings=settings, port=port,
                      fakes=fakes)  # fmt: skip
    faked = fakes is not None
    twilio_is = (
        "the Twilio emulator"
        if faked and not setup.given(base, "TWILIO_API_BASE_URL")
        else "TWILIO_API_BASE_URL"
    )
    smtp_is = "the SMTP sink" if faked and not setup.given(base, "SMTP_URL") else "SMTP_URL"
    print(f"twilio: {plan.twilio}  ({twilio_is})")
    print(f"smtp:   {plan.smtp}  ({smtp_is})")
    print(f"web:    {plan.web}  (PUBLIC_BASE_URL {plan.env['PUBLIC_BASE_URL']})")
    print("calls:  " + ("live" if plan.voice_live else f"outbox: {plan.voice_why}"))
    print(f"clock:  {setup.DEMO_START:%A %Y-%m-%d %H:%M} New York time, {setup.SCALE:g}x real "
          "time (REMIND_DEMO_CLOCK: a cadence counts in days)", flush=True)  # fmt: skip
    for name, argv in setup.children(port):
        kids.start(name, argv, plan.env)
        if name == "web" and not _healthy(plan.web, kids):
            print(f"error: the web service did not start (see {kids.logs}/web.log)", flush=True)
            return 1
    try:
        enrolled = _post(f"{plan.web}/v1/accounts", setup.accounts(phone, email), plan.api_key)
    except urllib.error.HTTPError as e:  # e.g. --phone is not a number: 422 naming the field
        print(f"error: the demo accounts were refused: {e.code} {e.read().decode()}", flush=True)
        return 1
    print(f"enrolled through POST /v1/accounts: {enrolled}", flush=True)
    tracker = Tracker(
        voice_live=plan.voice_live,
        sink=smtp_is == "the SMTP sink",
        emulator=twilio_is == "the Twilio emulator",
    )
    redis_client = client(state_url)
    last = "0"
    while time.monotonic() - t0 < seconds:
        batch: Any = redis_client.xread({keys.RESULTS_STREAM: last}, block=250, count=100)
        while not news.empty():  # what the fakes saw first: it happened before it was recorded
            tracker.news(news.get(), t0)
        for _stream, entries in batch or []:
            for entry_id, fields in entries:
                last = entry_id
                tracker.outcome(json.loads(fields["outcome"]), t0)
        if (gone := kids.exited()) is not None:
            print(f"error: {gone} exited (see {kids.logs}/{gone}.log)", flush=True)
            return 1
        if tracker.settled():
            print(f"done in {time.monotonic() - t0:.1f}s: {tracker.summary()}", flush=True)
            return 0
    print(f"not every send settled in {seconds:g}s: {tracker.summary()}", flush=True)
    return 1


class Tracker:
    """Prints what flows and knows when every send of the demo has settled."""

    def __init__(self, *, voice_live: bool, sink: bool, emulator: bool) -> None:
        self.voice_live, self.sink, self.emulator = voice_live, sink, emulator
        self.settled_sends: set[tuple[str, str]] = set()
        self.seen: Counter[str] = Counter()

    def outcome(self, o: dict[str, Any], t0: float) -> None:
        local = (o.get("local_time") or "")[11:16]
        who = f"{o['account_id']} {o['channel'] or '-':<6}"
        tail = " ".join(str(x) for x in (o.get("reason"), o.get("provider_id")) if x)
        _line(t0, "outcome", f"{local} {who} {o['outcome']:<12} {tail}")
        channel, kind = o["channel"], o["outcome"]
        self.seen[f"{channel}:{kind}"] += 1
        done = SETTLED.get(channel, set()) | ({"sent"} if channel == "voice" and not
                                              self.voice_live else set())  # fmt: skip
        if kind in done:
            self.settled_sends.add((o["account_id"], channel))

    def news(self, n: dict[str, Any], t0: float) -> None:
        event = n.get("event")
        self.seen[f"fake:{event}"] += 1
        if event == "request":
            _line(t0, "twilio", f"<- create {n['kind']} to {n['to']}")
        elif event == "callback":
            said = " ".join(f"{k}={v}" for k, v in n["fields"].items())
            _line(t0, "twilio", f"-> POST {n['path']} {said}  <- {n['status']} {n['answer']}")
            self.seen[f"callback:{n['kind']}"] += 1
        elif event == "email":
            extra = " with List-Unsubscribe" if n["unsubscribe"] else ""
            _line(t0, "smtp", f"<- {n['subject']!r} for {', '.join(n['to'])}{extra}")

    def settled(self) -> bool:
        channels = ("sms", "email", "voice")
        if not all((a, c) in self.settled_sends for a in ("live-1", "live-2") for c in channels):
            return False
        if self.sink and self.seen["fake:email"] < self.seen["email:sent"]:
            return False  # the sink has not yet shown every email sent
        return not (self.emulator and self.voice_live and
                    self.seen["callback:call-status"] < self.seen["voice:sent"])  # fmt: skip

    def summary(self) -> str:
        """What came of the sends, channel by channel, and what the fakes received."""
        parts = []
        for channel in ("sms", "email", "voice"):
            kinds = [f"{n} {k.split(':')[1]}" for k, n in sorted(self.seen.items())
                     if k.startswith(f"{channel}:")]  # fmt: skip
            parts.append(f"{channel}: {', '.join(kinds) or 'nothing'}")
        callbacks = sum(n for k, n in self.seen.items() if k.startswith("callback:"))
        parts.append(f"{callbacks} signed callbacks made")
        if self.sink:
            parts.append(f"{self.seen['fake:email']} emails received by the sink")
        return "; ".join(parts)


def _line(t0: float, who: str, text: str) -> None:
    print(f"[{time.monotonic() - t0:5.1f}s] {who:<7} {text}", flush=True)


def _read(proc: subprocess.Popen[str], news: queue.Queue[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        try:
            news.put(json.loads(line))
        except json.JSONDecodeError:
            news.put({"event": "text", "text": line.rstrip()})
    news.put({"event": "exited"})


def _healthy(web: str, kids: Children) -> bool:
    """Poll ``/healthz`` until it answers; False if the web process exits or takes too long."""
    deadline = time.monotonic() + WEB_START
    while time.monotonic() < deadline and kids.exited() is None:
        try:
            with urllib.request.urlopen(f"{web}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            time.sleep(0.2)  # waiting for another process to listen: nothing to wait on instead
    return False


def _post(url: str, body: Any, key: str) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())
