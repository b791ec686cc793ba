"""Learning in the portal (/leren): what was learned per area code, with its evidence; the
operator approves, rejects or freezes a learned alias, or goes back to an earlier learned set.
Every change is audited and used from the next call on (the nodes read it within a second)."""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from veertien.learning.aliases import Alias, Key, Review, active, rollback, version_of
from veertien.learning.current import known_in, rules_of
from veertien.portal.base import Portal, portal_of, posted_form
from veertien.portal.security import require
from veertien.storage.learning import LearningStore
from veertien.storage.users import Role

ACTIONS: dict[str, Review | None] = {
    "goedkeuren": Review.APPROVED,
    "afwijzen": Review.REJECTED,
    "bevriezen": None,  # frozen as it is now: in or out (learning.aliases.Review)
    "vrijgeven": None,  # back to the evidence
}
LABELS = {
    "accepted": "meteen doorverbonden", "confirmed": "bevestigd", "chosen": "gekozen uit twee",
    "corrected": "verbeterd", "keyed": "met de toetsen gekozen",
}  # fmt: skip


def _current(portal: Portal) -> tuple[Alias, ...]:
    ctx = portal.context()
    platform = ctx.settings.platform
    return LearningStore(portal.storage.engine).current(
        rules_of(platform), known_in(ctx.directory), int(time.time()),
        platform.learning_retention_days,
    )  # fmt: skip


def _area(portal: Portal, area: str) -> tuple[list[Alias], dict[str, list[dict[str, Any]]]]:
    """One area's forms with evidence, and the latest examples of each group of forms (a
    form learned for two municipalities is looked up once)."""
    found = [a for a in _current(portal) if a.area_code == area]
    store = LearningStore(portal.storage.engine)
    groups = {a.form: a.forms for a in found}
    return found, {form: store.evidence(area, forms, 10) for form, forms in groups.items()}


async def learning_page(request: Request) -> Response:
    """Every area code with evidence, the learned sets that were in use, and which is now."""
    portal = portal_of(request)
    user = require(await run_in_threadpool(portal.user, request))
    found = await run_in_threadpool(_current, portal)
    versions = await run_in_threadpool(LearningStore(portal.storage.engine).versions)
    areas: dict[str, dict[str, int]] = {}
    for alias in found:
        area = areas.setdefault(alias.area_code, {"forms": 0, "active": 0})
        area["forms"] += 1
        area["active"] += alias.active
    return portal.render(
        request, "learning.html", areas=sorted(areas.items()), versions=versions,
        now=version_of(active(found)), may_change=user.role is Role.OPERATOR,
    )  # fmt: skip


async def area_page(request: Request) -> Response:
    portal = portal_of(request)
    user = require(await run_in_threadpool(portal.user, request))
    area = request.path_params["area"]
    if area not in portal.context().directory.area_codes():
        raise HTTPException(404, "Onbekend netnummer.")
    found, evidence = await run_in_threadpool(_area, portal, area)
    return portal.render(
        request, "learning_area.html", area=area, aliases=found, evidence=evidence,
        names=portal.names(), labels=LABELS, may_change=user.role is Role.OPERATOR,
        off=area in portal.context().settings.platform.learning_off,
    )  # fmt: skip


async def review(request: Request) -> Response:
    """One alias: approve, reject, freeze as it is, or give back to the evidence."""
    portal, form, user = await posted_form(request, Role.OPERATOR)
    area = request.path_params["area"]
    what = str(form.get("actie", ""))
    key: Key = (area, str(form.get("vorm", ""))[:60], str(form.get("gemeente", ""))[:32])
    found = {a.key: a for a in await run_in_threadpool(_current, portal)}
    if what not in ACTIONS or key not in found:
        raise HTTPException(400, "Onbekende vorm of actie.")
    review_ = ACTIONS[what]
    if what == "bevriezen":
        review_ = Review.FROZEN_IN if found[key].active else Review.FROZEN_OUT
    store = LearningStore(portal.storage.engine)
    await run_in_threadpool(store.review, {key: review_}, user.username, f"learning.{what}")
    return RedirectResponse(f"/leren/{area}?opgeslagen=1", status_code=303)


async def roll_back(request: Request) -> Response:
    """Make an earlier learned set the one in use: what came after it is rejected, what it
    had and lost is approved."""
    portal, form, user = await posted_form(request, Role.OPERATOR)
    version = str(form.get("versie", ""))
    store = LearningStore(portal.storage.engine)
    kept = {v: keys for v, _, keys in await run_in_threadpool(store.versions, 1000)}
    if version not in kept:
        raise HTTPException(400, "Onbekende versie.")
    changes: dict[Key, Review | None] = dict(rollback(await run_in_threadpool(_current, portal),
                                                      kept[version]))  # fmt: skip
    await run_in_threadpool(store.review, changes, user.username, f"learning.rollback:{version}")
    return RedirectResponse(f"/leren?teruggezet={version}", status_code=303)


def learning_routes() -> list[Route]:
    return [
        Route("/leren", learning_page, methods=["GET"]),
        Route("/leren/terugzetten", roll_back, methods=["POST"]),
        Route("/leren/{area:str}", area_page, methods=["GET"]),
        Route("/leren/{area:str}", review, methods=["POST"]),
    ]
