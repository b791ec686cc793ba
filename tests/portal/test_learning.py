"""The learning pages: the evidence per area code, the operator's review (audited) and the
rollback to an earlier learned set; others read, and cannot change anything."""

from __future__ import annotations

import time

from tests.portal.conftest import Site
from veertien.learning.aliases import active, version_of
from veertien.learning.current import known_in, rules_of
from veertien.learning.examples import Candidate, Example, Label, Turn
from veertien.storage.learning import ExampleSink, LearningStore

TURN = Turn("Ganzenstad.", (), (Candidate("GM0664", "Goes", 0.31, 0.2),), 0.2, "retry")


def _learned(site: Site, form: str, callers: int) -> None:
    sink = ExampleSink(site.storage.engine)
    now = int(time.time())
    for n in range(callers):
        at = now - n * 3600
        sink.write(Example(at, "0113", form, Label.KEYED, "GM0664", f"h:{n}", "nl", "none", TURN))
    sink.close()


def _version(site: Site) -> str:
    ctx = site.context()
    found = LearningStore(site.storage.engine).current(
        rules_of(ctx.settings.platform), known_in(ctx.directory), int(time.time()), 180
    )
    return version_of(active(found))


def test_the_evidence_is_shown_and_the_operator_rejects_an_alias(site: Site) -> None:
    _learned(site, "ganzenstad", 12)
    client = site.login("ops")
    page = client.get("/leren/0113")
    assert page.status_code == 200
    assert "“ganzenstad”" in page.text and "in gebruik" in page.text and "Goes 0.31" in page.text
    learned = _version(site)
    assert learned != "none"
    LearningStore(site.storage.engine).keep_version([("0113", "ganzenstad", "GM0664")])
    done = client.post("/leren/0113", data={
        "csrf": site.csrf("/leren/0113"), "vorm": "ganzenstad", "gemeente": "GM0664",
        "actie": "afwijzen",
    }, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert _version(site) == "none"
    assert "afgewezen" in client.get("/leren/0113").text
    audit = client.get("/audit").text
    assert "learning.afwijzen" in audit

    form = {"csrf": site.csrf("/leren"), "versie": learned}
    back = client.post("/leren/terugzetten", data=form, follow_redirects=False)
    assert back.status_code == 303 and _version(site) == learned


def test_others_read_but_cannot_review(site: Site) -> None:
    _learned(site, "ganzenstad", 12)
    client = site.login("goes")
    page = client.get("/leren/0113")
    assert page.status_code == 200 and "Afwijzen" not in page.text
    refused = client.post("/leren/0113", data={
        "csrf": site.csrf("/leren/0113"), "vorm": "ganzenstad", "gemeente": "GM0664",
        "actie": "afwijzen",
    })  # fmt: skip
    assert refused.status_code == 403
    assert _version(site) != "none"
    assert client.get("/leren/9999").status_code == 404
