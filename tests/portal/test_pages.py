"""Every page and every role: who may see and change what, CSRF, sign-in limits, the audit log,
the import preview, and the public status page with its Atom feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.portal.conftest import PASSWORD, Site
from veertien.portal.app import MAX_BODY, MAX_UPLOAD
from veertien.portal.security import (
    ADDRESS_FAILURES,
    LOGIN_FAILURES,
    LOGIN_WINDOW_S,
    LoginLimiter,
)

PAGES = ["/gemeenten", "/gemeenten/GM0664", "/netnummers", "/import", "/gebruikers", "/audit"]
# (user, page) → status: operators everything; admins their own; viewers read-only
ACCESS = {
    "ops": {p: 200 for p in PAGES},
    "goes": {**{p: 200 for p in PAGES}, "/import": 403, "/gebruikers": 403},
    "kapelle": {**{p: 200 for p in PAGES}, "/gemeenten/GM0664": 403, "/import": 403,
                "/gebruikers": 403},
    "lezer": {**{p: 200 for p in PAGES}, "/import": 403, "/gebruikers": 403, "/audit": 403},
}  # fmt: skip


@pytest.mark.parametrize("user", sorted(ACCESS))
def test_every_page_checks_the_role(site: Site, user: str) -> None:
    client = site.login(user)
    for page, status in ACCESS[user].items():
        assert client.get(page).status_code == status, (user, page)


def test_pages_need_a_sign_in(site: Site) -> None:
    for page in PAGES:
        answer = site.client.get(page, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/inloggen")
    assert site.client.get("/status").status_code == 200  # public


def test_an_admin_sees_only_their_own_municipality(site: Site) -> None:
    page = site.login("goes").get("/gemeenten").text
    assert "Goes" in page and "Kapelle" not in page and "Reimerswaal" not in page


def _settings_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf": csrf, "always_open": "on", **fields}


def test_an_admin_changes_own_settings_live_and_audited(site: Site) -> None:
    client = site.login("goes")
    form = _settings_form(site.csrf(), destination="sip:kcc@goes.example", calamity="on")
    page = client.post("/gemeenten/GM0664", data=form)
    assert page.status_code == 200 and "Opgeslagen" in page.text
    own = site.context().settings.for_municipality("GM0664")
    assert own.destination == "sip:kcc@goes.example" and own.calamity
    audit = client.get("/audit").text
    assert "Goes (GM0664)" in audit and "goes" in audit and "instellingen GM0664" in audit


def test_an_admin_cannot_change_another_municipality(site: Site) -> None:
    client = site.login("kapelle")
    answer = client.post("/gemeenten/GM0664", data=_settings_form(site.csrf(), calamity="on"))
    assert answer.status_code == 403
    assert not site.context().settings.for_municipality("GM0664").calamity
    viewer = site.login("lezer")
    assert viewer.post("/gemeenten/GM0664", data=_settings_form(site.csrf())).status_code == 403


def test_forms_need_their_csrf_token(site: Site) -> None:
    client = site.login("ops")
    answer = client.post("/gemeenten/GM0664", data=_settings_form("forged", calamity="on"))
    assert answer.status_code == 403
    assert not site.context().settings.for_municipality("GM0664").calamity


def test_bad_settings_are_refused_with_the_reason_and_change_nothing(site: Site) -> None:
    client = site.login("ops")
    before = site.context().data_version
    page = client.post(
        "/gemeenten/GM0664", data=_settings_form(site.csrf(), destination="http://nope")
    )
    assert "Niet opgeslagen" in page.text and "is geen bruikbaar sip:" in page.text  # Dutch
    assert site.context().data_version == before


def test_opening_hours_from_the_form(site: Site) -> None:
    client = site.login("ops")
    form = {"csrf": site.csrf(), "hours_mon": "08:30-12:00, 13:00-17:00", "holidays": "2026-12-24"}
    assert "Opgeslagen" in client.post("/gemeenten/GM0664", data=form).text
    hours = site.context().settings.for_municipality("GM0664").hours
    assert hours is not None and len(hours.weekly[0]) == 2 and hours.weekly[6] == ()


def test_sign_in_is_rate_limited(site: Site) -> None:
    for _ in range(5):
        site.login("ops", "wrong password")
    site.login("ops")  # the right password, but too late
    assert site.client.get("/gemeenten", follow_redirects=False).status_code == 303


def test_users_are_created_by_the_operator(site: Site) -> None:
    client = site.login("ops")
    form = {"csrf": site.csrf(), "username": "nieuw", "password": PASSWORD, "role": "admin",
            "municipality": "gm0678"}  # fmt: skip
    assert client.post("/gebruikers", data=form).status_code == 200
    assert "nieuw" in client.get("/gebruikers").text
    short = {**form, "username": "kort", "password": "kort"}
    assert "minstens 12" in client.post("/gebruikers", data=short).text


def test_import_preview_then_import(site: Site) -> None:
    client = site.login("ops")
    demo = Path(__file__).resolve().parents[2] / "src" / "veertien" / "directory" / "demo"
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(demo.glob("*.csv"))]
    preview = client.post("/import", data={"csrf": site.csrf(), "action": "controleren"},
                          files=files)  # fmt: skip
    assert "Klopt" in preview.text and "Nog niets gewijzigd" in preview.text
    bad = [(f, (n, b.replace(b"GM0664", b"GM06X4"), t)) for f, (n, b, t) in files]
    refused = client.post("/import", data={"csrf": site.csrf(), "action": "importeren"},
                          files=bad)  # fmt: skip
    assert (
        refused.status_code == 422 and "line" in refused.text and "niets gewijzigd" in refused.text
    )
    done = client.post("/import", data={"csrf": site.csrf(), "action": "importeren"}, files=files)
    assert "Geïmporteerd" in done.text


def test_the_status_page_incidents_calamities_and_atom(site: Site) -> None:
    client = site.login("ops")
    form = {"csrf": site.csrf("/status"), "title": "Storing 14 0113", "message": "Geen verbinding.",
            "status": "investigating"}  # fmt: skip
    assert client.post("/status", data=form).status_code == 200
    client.post("/gemeenten/GM0664", data=_settings_form(site.csrf(), calamity="on",
                calamity_message="Gemeentehuis gesloten wegens brand."))  # fmt: skip
    public = site.client.get("/status").text
    assert "Storing 14 0113" in public and "Gemeentehuis gesloten wegens brand." in public
    assert site.posted and site.posted[0]["title"] == "Storing 14 0113"  # the webhook
    feed = site.client.get("/status.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "<title>Storing 14 0113 — Wordt onderzocht</title>" in feed.text


def test_only_the_operator_posts_incidents(site: Site) -> None:
    client = site.login("goes")
    form = {"csrf": site.csrf("/status"), "title": "x", "message": "y", "status": "investigating"}
    assert client.post("/status", data=form).status_code == 403


def test_security_headers_and_cookie(site: Site) -> None:
    page = site.client.get("/inloggen")
    assert page.headers["x-frame-options"] == "DENY"
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    assert "httponly" in page.headers["set-cookie"].lower()


def test_departments_from_the_form(site: Site) -> None:
    client = site.login("goes")
    lines = "Burgerzaken | sip:bz@goes.example\nBelastingen | sip:bel@goes.example\n"
    page = client.post("/gemeenten/GM0664", data=_settings_form(site.csrf(), departments=lines))
    assert "Opgeslagen" in page.text and "Burgerzaken | sip:bz@goes.example" in page.text
    own = site.context().settings.for_municipality("GM0664")
    assert [d.name for d in own.departments] == ["Burgerzaken", "Belastingen"]
    bad = client.post("/gemeenten/GM0664", data=_settings_form(site.csrf(), departments="X |"))
    assert "Niet opgeslagen" in bad.text


def test_audio_sampling_from_the_form(site: Site) -> None:
    """A municipality turns sampling on in percent; the settings keep a share."""
    client = site.login("goes")
    form = _settings_form(site.csrf(), audio_sampling="2,5", audio_retention_days="14")
    page = client.post("/gemeenten/GM0664", data=form)
    assert "Opgeslagen" in page.text and 'value="2.5"' in page.text
    own = site.context().settings.for_municipality("GM0664")
    assert (own.privacy.audio_sampling, own.privacy.audio_retention_days) == (0.025, 14)
    for bad in ({"audio_sampling": "veel"}, {"audio_sampling": "150"},
                {"audio_retention_days": "0"}):  # fmt: skip
        page = client.post("/gemeenten/GM0664", data=_settings_form(site.csrf(), **bad))
        assert "Niet opgeslagen" in page.text, bad
    assert site.context().settings.for_municipality("GM0664").privacy.audio_sampling == 0.025


def test_guessing_a_name_from_one_address_does_not_lock_it_elsewhere() -> None:
    """Five wrong passwords once locked the name for everybody, the right password too: now
    the lock is per name and address (and per address for many names)."""
    now = [0.0]
    limiter = LoginLimiter(lambda: now[0])
    for _ in range(LOGIN_FAILURES):
        limiter.failed("operator", "198.51.100.7")
    assert limiter.blocked("operator", "198.51.100.7")
    assert not limiter.blocked("operator", "192.0.2.1")  # the operator at the office
    for n in range(ADDRESS_FAILURES):
        limiter.failed(f"name{n}", "203.0.113.9")
    assert limiter.blocked("somebody", "203.0.113.9")  # a spray of names from one address
    now[0] = LOGIN_WINDOW_S + 1
    assert not limiter.blocked("operator", "198.51.100.7")


def test_a_session_cookie_is_worthless_after_signing_out(site: Site) -> None:
    client = site.login("ops")
    assert client.get("/gemeenten", follow_redirects=False).status_code == 200
    cookie = client.cookies.get("veertien_sessie")
    assert cookie
    client.post("/uitloggen", data={"csrf": site.csrf()})
    replay = TestClient(client.app, cookies={"veertien_sessie": cookie})
    assert replay.get("/gemeenten", follow_redirects=False).status_code == 303  # to /inloggen


def test_a_body_too_large_is_refused_before_it_is_read(site: Site) -> None:
    """A 100 MB closed message was once read, stored and audited whole."""
    client = site.login("ops")
    form = {"csrf": site.csrf(), "closed_message": "x" * (MAX_BODY + 1)}
    answer = client.post("/gemeenten/GM0664", data=form)
    assert answer.status_code == 413 and "Te groot" in answer.text
    answer = client.put(
        "/api/municipalities/GM0664/settings",
        content=b"{" + b" " * MAX_BODY + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    too_big = b"x" * (MAX_UPLOAD + 1)
    answer = client.post("/import", files={"files": ("gemeenten.csv", too_big)})
    assert answer.status_code == 413


def test_a_chunked_body_without_a_length_is_refused(site: Site) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"csrf=x&closed_message=" + b"y" * 10

    answer = site.client.post("/gemeenten/GM0664", content=chunks())
    assert answer.status_code == 411


def test_nobody_signed_in_gets_an_upload_read(site: Site) -> None:
    """The user is checked before the body: an anonymous upload is not parsed (a broken
    multipart body gets the login page, not a parse error)."""
    answer = site.client.post(
        "/import",
        content=b"--xyz\r\nnot a multipart body",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/inloggen")


def test_the_portal_refuses_and_says_why(site: Site) -> None:
    client = site.login("ops")
    before = site.context().data_version
    form = {"csrf": site.csrf(), "destination": "tel:+4420794600"}
    page = client.post("/gemeenten/GM0664", data=form)
    assert "Niet opgeslagen" in page.text and "is een buitenlands nummer" in page.text
    assert site.context().data_version == before
