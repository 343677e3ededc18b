"""``GET /metrics``: remind's numbers in Prometheus's text format, read from Redis at each scrape.

Counters come from the outcome counters every process adds to as it publishes
(``worker.storage.metrics``); gauges are read at the scrape: the dramatiq queues (Redis broker
only: a RabbitMQ broker has its own metrics) and the timeline. ``/metrics`` needs a bearer key,
one of ``REMIND_METRICS_KEYS`` or ``REMIND_API_KEYS``: the web service faces the internet for
Twilio's callbacks, and its numbers tell a business's volume. Give the scraper a key of
``REMIND_METRICS_KEYS``: it opens nothing else.
"""

from __future__ import annotations

from typing import Annotated

import redis
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from worker.app import App
from worker.channels.visit import QUEUE as VISIT_QUEUE
from worker.clock import to_epoch
from worker.config import Settings
from worker.storage import connection, stats
from worker.storage.metrics import outcome_counts
from worker.web.auth import known
from worker.web.exposition import CONTENT_TYPE, Family, render

#: Queues reported even while empty (an empty queue's keys do not exist in Redis).
QUEUES = ("intake", "dispatch", VISIT_QUEUE)
#: Outcome kinds that carry a provider's error code (or the cause of an unknown result).
PROVIDER_ERRORS = ("failed", "undelivered", "unknown")

_bearer = HTTPBearer(auto_error=False, description="A key of REMIND_METRICS_KEYS or API key.")


def require_metrics_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries a metrics key or an API key."""
    settings: Settings = request.app.state.settings
    given = credentials.credentials if credentials is not None else ""
    if not given or not known(given, settings.metrics_keys + settings.api_keys):
        raise HTTPException(
            status_code=401,
            detail="a valid metrics or API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def metrics_router(app: App, settings: Settings) -> APIRouter:
    """``GET /metrics`` over ``app``'s Redis and, for queue depths, the Redis broker."""
    router = APIRouter(tags=["ops"])
    url = connection.broker_url(settings)
    broker = connection.client(url) if url.startswith(("redis", "unix")) else None
    queues = (*QUEUES, settings.results_queue)

    @router.get("/metrics", dependencies=[Depends(require_metrics_key)])
    def metrics() -> Response:
        """Outcome counters, queue depths and scheduler lag (docs/contracts.md, HTTP)."""
        families = [*outcome_families(app.client), *timeline_families(app)]
        if broker is not None:
            families.append(queue_family(broker, queues))
        return Response(render(families), media_type=CONTENT_TYPE)

    return router


def outcome_families(client: redis.Redis) -> list[Family]:
    """Sends, deferrals, suppressions, provider errors and every outcome, from the counters."""
    sends = Family("remind_sends_total", "Messages handed to a channel.", "counter")
    deferrals = Family(
        "remind_deferrals_total", "Steps held back by time, by reason and rule.", "counter"
    )
    suppressions = Family(
        "remind_suppressions_total", "Steps not sent, by reason and rule.", "counter"
    )
    errors = Family(
        "remind_provider_errors_total",
        "Failed, undelivered and unknown results, by the provider's code.",
        "counter",
    )
    outcomes = Family("remind_outcomes_total", "Outcome records published, by kind.", "counter")
    for c in outcome_counts(client):
        outcomes.add(c.total, outcome=c.outcome, channel=c.channel)
        if c.outcome == "sent":
            sends.add(c.total, channel=c.channel, provider=c.provider)
        elif c.outcome == "deferred":
            deferrals.add(c.total, channel=c.channel, reason=c.reason, rule=c.rule)
        elif c.outcome == "suppressed":
            suppressions.add(c.total, channel=c.channel, reason=c.reason, rule=c.rule)
        elif c.outcome in PROVIDER_ERRORS:
            errors.add(c.total, channel=c.channel, provider=c.provider, outcome=c.outcome,
                       code=c.reason)  # fmt: skip
    return [sends, deferrals, suppressions, errors, outcomes]


def timeline_families(app: App) -> list[Family]:
    """The timeline's size, its entries due now, and how late the oldest due entry is."""
    now = to_epoch(app.clock.now())
    size, due, first = app.timeline.stats(app.clock.now())
    oldest = first if first is not None else now
    entries = Family("remind_timeline_entries", "Accounts with a step on the timeline.", "gauge")
    entries.set(size)
    waiting = Family(
        "remind_timeline_due_entries", "Timeline entries due now and not claimed.", "gauge"
    )
    waiting.set(due)
    lag = Family(
        "remind_scheduler_lag_seconds",
        "Seconds the oldest due timeline entry has waited (0 when none is due).",
        "gauge",
    )
    lag.set(round(max(0.0, now - oldest), 3))
    return [entries, waiting, lag]


def queue_family(broker: redis.Redis, names: tuple[str, ...]) -> Family:
    """Messages on each dramatiq queue of the Redis broker: ready (waiting for a worker),
    in_flight (fetched, not acknowledged), delayed (retry backoff) and dead (dead-lettered);
    the same figures as ``remind status`` (``worker.storage.stats.queue_depths``)."""
    family = Family("remind_queue_messages", "Messages on each dramatiq queue, by state.", "gauge")
    for q in stats.queue_depths(broker, names):
        family.set(q.ready, queue=q.queue, state="ready")
        family.set(q.in_flight, queue=q.queue, state="in_flight")
        family.set(q.delayed, queue=q.queue, state="delayed")
        family.set(q.dead, queue=q.queue, state="dead")
    return family
