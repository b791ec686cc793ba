"""Recorded prompts in the portal (/opnames): per shared area, in Dutch and in each offered
language, every sentence a caller in that language can hear (ivr.recorded), recorded or not,
with its recording to hear, upload (WAV, MP3 or OGG; checked and levelled by media.recording)
or remove.

A language without a voice (Frisian) is offered to callers once every required sentence of the
area is recorded; a sentence not recorded in a voiced language is synthesised. The operator
may change every area; a municipality's admin the areas their municipality is in. Every change
is audited and heard from the next prompt on (the nodes read the recordings within a second).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from veertien.ivr.prompts import CATALOGUE, DEFAULT_LANGUAGE
from veertien.ivr.recorded import Sentences, area_sentences, general_sentences
from veertien.media.recording import MAX_UPLOAD_BYTES, SAMPLE_RATE, recording
from veertien.portal.base import Portal, portal_of, posted_form
from veertien.portal.security import require
from veertien.routing import CallFacts, DecisionKind, decide, decide_municipality
from veertien.routing.languages import NAMES, VOICED
from veertien.storage.users import Role, User

PLATFORM = ""  # the area of the recordings for every area (call.prompts), the operator's
ALL = "alle"  # its name in the portal's paths


@dataclass(frozen=True, slots=True)
class Language:
    """One offered language of an area, for the pages."""

    language: str
    name: str
    key: str
    sentences: Sentences
    recorded: dict[str, float]  # sentence → seconds
    voiced: bool  # a voice says what is not recorded (Dutch, English)
    own: frozenset[str]  # recorded for this area itself (the others: for every area)

    @property
    def missing(self) -> list[str]:
        """The required sentences not recorded (none matter where there is a voice)."""
        if self.voiced:
            return []
        return [s for s in self.sentences.required if s not in self.recorded]


def script(portal: Portal, area: str) -> list[Language]:
    """Blocking: Dutch and the offered languages of a shared area (or, for PLATFORM, every
    language of the catalogue), each with its sentences and what of them is recorded (empty
    where the area has no dialogue)."""
    recorded = _recorded(portal, area)
    if area == PLATFORM:
        return [
            _language(language, "", general_sentences(language), recorded)
            for language in sorted(CATALOGUE, key=lambda lang: lang != DEFAULT_LANGUAGE)
        ]
    ctx = portal.context()
    facts = CallFacts(f"14{area}", datetime.now(ctx.zone))
    decision = decide(facts, ctx)
    if decision.kind is not DecisionKind.IVR:
        return []
    offer = {DEFAULT_LANGUAGE: "", **ctx.settings.languages.for_area(area)}
    return [
        _language(language, key, area_sentences(
            decision, language, lambda code: decide_municipality(code, facts, ctx),
            speech=ctx.settings.platform.speech, key=key,
        ), recorded)
        for language, key in offer.items()
    ]  # fmt: skip


def _recorded(portal: Portal, area: str) -> dict[str, dict[str, tuple[float, bool]]]:
    """language → sentence → (seconds, whether the area's own): the area's own recordings over
    the platform's (those a call of the area hears)."""
    recorded: dict[str, dict[str, tuple[float, bool]]] = {}
    for where in dict.fromkeys((PLATFORM, area)):
        for row in portal.storage.recordings.listing(where):
            recorded.setdefault(row.language, {})[row.text] = (row.seconds, where == area)
    return recorded


def _language(
    language: str, key: str, sentences: Sentences,
    recorded: dict[str, dict[str, tuple[float, bool]]],
) -> Language:  # fmt: skip
    found = recorded.get(language, {})
    voiced = language == DEFAULT_LANGUAGE or language in VOICED
    own = frozenset(text for text, (_, mine) in found.items() if mine)
    seconds = {text: length for text, (length, _) in found.items()}
    return Language(language, NAMES.get(language, language), key, sentences, seconds, voiced, own)


def recorded_languages(portal: Portal, area: str) -> frozenset[str]:
    """Blocking: the offered languages without a voice whose required sentences are all
    recorded for `area` (so the dialogue offers them)."""
    offer = portal.context().settings.languages.for_area(area)
    if not set(offer) - VOICED:
        return frozenset()
    return frozenset(
        lang.language for lang in script(portal, area) if not lang.voiced and not lang.missing
    )


def _areas(portal: Portal, user: User) -> list[dict[str, Any]]:
    ctx = portal.context()
    out = []
    for area in ctx.directory.area_codes():
        members = [m.municipality for m in ctx.directory.memberships if m.area_code == area]
        if not any(user.may_see(code) for code in members) or len(members) < 2:
            continue
        languages = script(portal, area)
        if languages:
            out.append({"code": area, "languages": languages})
    return out


def _may_change(portal: Portal, user: User, area: str) -> bool:
    if area == PLATFORM:
        return user.role is Role.OPERATOR
    members = [m.municipality for m in portal.context().directory.memberships
               if m.area_code == area]  # fmt: skip
    return any(user.may_change(code) for code in members)


def _area_of(portal: Portal, user: User, request: Request) -> str:
    area = str(request.path_params["area"])
    if area == ALL:
        return PLATFORM
    ctx = portal.context()
    if area not in ctx.directory.area_codes():
        raise HTTPException(404, "Onbekend netnummer.")
    members = [m.municipality for m in ctx.directory.memberships if m.area_code == area]
    if not any(user.may_see(code) for code in members):
        raise HTTPException(403, "Dit is niet het netnummer van uw gemeente.")
    return area


async def recordings_page(request: Request) -> Response:
    portal = portal_of(request)
    user = require(await run_in_threadpool(portal.user, request))
    areas = await run_in_threadpool(_areas, portal, user)
    return portal.render(request, "recordings.html", areas=areas)


async def area_page(request: Request) -> Response:
    portal = portal_of(request)
    user = require(await run_in_threadpool(portal.user, request))
    area = _area_of(portal, user, request)
    languages = await run_in_threadpool(script, portal, area)
    return portal.render(
        request, "recordings_area.html", area=area, languages=languages, quote=quote,
        path=_path(area),
        may_change=_may_change(portal, user, area), max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )  # fmt: skip


async def change(request: Request) -> Response:
    """Upload (actie=opslaan, file `opname`) or remove (actie=verwijderen) the recording of one
    of the area's sentences in one of its offered languages."""
    portal, form, user = await posted_form(request)
    area = _area_of(portal, user, request)
    if not _may_change(portal, user, area):
        raise HTTPException(403, "U mag de opnames van dit netnummer niet wijzigen.")
    language, text = str(form.get("taal", "")), str(form.get("tekst", ""))
    found = {lang.language: lang for lang in await run_in_threadpool(script, portal, area)}
    if language not in found or text not in found[language].sentences.all:
        raise HTTPException(400, "Deze zin hoort niet bij dit netnummer en deze taal.")
    store = portal.storage.recordings
    if form.get("actie") == "verwijderen":
        await run_in_threadpool(store.remove, area, language, text, user.username)
        return RedirectResponse(f"{_path(area)}?verwijderd=1#{language}", status_code=303)
    upload = form.get("opname")
    if not isinstance(upload, UploadFile):
        raise HTTPException(400, "Kies een geluidsbestand.")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    made = await run_in_threadpool(recording, data)  # RecordingError: 422 with why (Dutch)
    await run_in_threadpool(
        lambda: store.put(area, language, text, pcm=made.pcm, seconds=made.seconds,
                          actor=user.username)
    )  # fmt: skip
    return RedirectResponse(f"{_path(area)}?opgeslagen=1#{language}", status_code=303)


async def sound(request: Request) -> Response:
    """One recording as a WAV file (8 kHz 16-bit mono), to hear in the page."""
    portal = portal_of(request)
    user = require(await run_in_threadpool(portal.user, request))
    area = _area_of(portal, user, request)
    language = request.query_params.get("taal", "")[:8]
    text = request.query_params.get("tekst", "")[:1000]
    store = portal.storage.recordings
    pcm = await run_in_threadpool(
        lambda: store.audio(area, language, text) or store.audio(PLATFORM, language, text)
    )  # the area's own, else the one for every area (what its callers hear)
    if pcm is None:
        raise HTTPException(404, "Deze zin is niet opgenomen.")
    return Response(wav(pcm), media_type="audio/wav", headers={"cache-control": "no-store"})


def _path(area: str) -> str:
    return f"/opnames/{area or ALL}"


def wav(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.writeframes(pcm)
    return out.getvalue()


def recording_routes() -> list[Route]:
    return [
        Route("/opnames", recordings_page, methods=["GET"]),
        Route("/opnames/{area:str}", area_page, methods=["GET"]),
        Route("/opnames/{area:str}", change, methods=["POST"]),
        Route("/opnames/{area:str}/geluid", sound, methods=["GET"]),
    ]
