"""``/twilio/voice/...``: the TwiML of a live call and the answers to its keys, each request
signed by Twilio (403 otherwise). The work is ``worker.web.voice_calls``'s; this module maps
the routes and answers with TwiML (``text/xml``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from worker.app import App
from worker.channels import voice
from worker.config import Settings
from worker.web import voice_calls
from worker.web.twilio_auth import signed_form

Dispatch = Annotated[str, Query(alias="dispatch", description="The dispatch id of the call.")]
Tries = Annotated[int, Query(ge=0, description="Prompts said again so far in this call.")]
Promised = Annotated[str, Query(alias="date", description="The date read back (YYYY-MM-DD).")]
TWIML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}}, "description": "TwiML for Twilio to carry out."}
}


def voice_router(app: App, settings: Settings) -> APIRouter:
    """The signed routes Twilio calls during a live call."""
    router = APIRouter(tags=["twilio"])

    @router.post(voice.TWIML_PATH, response_class=Response, responses=TWIML)
    async def call_twiml(request: Request, dispatch: Dispatch = "") -> Response:
        """Who answered (``AnsweredBy``) decides: a person hears the script and the menu,
        anything else the voicemail part alone. The call's result is recorded once."""
        form = await signed_form(request, settings)
        return _xml(await run_in_threadpool(voice_calls.answer, app, settings, dispatch, form))

    @router.post(voice.KEYPRESS_PATH, response_class=Response, responses=TWIML)
    async def keypress(request: Request, dispatch: Dispatch = "", tries: Tries = 0) -> Response:
        """A key at the menu (``Digits``): 1 an agent, 2 a promise to pay, 9 no more calls."""
        form = await signed_form(request, settings)
        answer = voice_calls.keypress
        return _xml(await run_in_threadpool(answer, app, settings, dispatch, form, tries))

    @router.post(voice.PROMISE_PATH, response_class=Response, responses=TWIML)
    async def promise(request: Request, dispatch: Dispatch = "", tries: Tries = 0) -> Response:
        """The promised date, 8 digits in the locale's order: read back, or asked again."""
        form = await signed_form(request, settings)
        answer = voice_calls.promise
        return _xml(await run_in_threadpool(answer, app, settings, dispatch, form, tries))

    @router.post(voice.CONFIRM_PATH, response_class=Response, responses=TWIML)
    async def confirm(
        request: Request, dispatch: Dispatch = "", promised: Promised = "", tries: Tries = 0
    ) -> Response:
        """1 records ``promise_to_pay`` until the date read back; 2 asks for another date."""
        form = await signed_form(request, settings)
        answer = voice_calls.confirm
        return _xml(await run_in_threadpool(answer, app, settings, dispatch, form, promised, tries))

    return router


def _xml(document: str) -> Response:
    return Response(content=document, media_type="text/xml")
