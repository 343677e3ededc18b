"""``/twilio/...``: the status callbacks the live channels ask for, and a live call's TwiML and
keypresses (``worker.web.voice_routes``).

The paths are the ones ``worker.channels.sms`` and ``worker.channels.voice`` put in their
requests, each with ``?dispatch=<dispatch id>`` so a callback finds its account directly.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from worker.app import App
from worker.channels import sms, voice
from worker.config import Settings
from worker.web.callbacks import call_status, sms_status
from worker.web.twilio_auth import signed_form
from worker.web.voice_routes import voice_router

Dispatch = Annotated[str, Query(alias="dispatch", description="The dispatch id the send named.")]


def twilio_router(app: App, settings: Settings) -> APIRouter:
    """The signed Twilio callbacks; 403 without a valid ``X-Twilio-Signature``."""
    router = APIRouter(tags=["twilio"])

    @router.post(sms.STATUS_PATH)
    async def sms_callback(request: Request, dispatch: Dispatch = "") -> dict[str, str]:
        """An SMS's status: ``delivered`` or ``undelivered`` is recorded once, in order."""
        form = await signed_form(request, settings)
        return {"done": await run_in_threadpool(sms_status, app, dispatch, form)}

    @router.post(voice.STATUS_PATH)
    async def call_callback(request: Request, dispatch: Dispatch = "") -> dict[str, str]:
        """A call's final status: busy, no-answer, failed or canceled give its result (an
        answered call has its result from the TwiML request already)."""
        form = await signed_form(request, settings)
        return {"done": await run_in_threadpool(call_status, app, dispatch, form)}

    router.include_router(voice_router(app, settings))
    return router
