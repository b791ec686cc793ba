"""The catalogue of organisations in the portal: read by everyone signed in, changed by the
operator only, every change audited and live for the next call; bad input changes nothing; an
organisation without a destination is on the public status page and in /health."""

from __future__ import annotations

import json

from tests.portal.conftest import Site


def _post(site: Site, path: str, **form: str) -> object:
    return site.client.post(path, data={"csrf": site.csrf("/organisaties"), **form})


def test_everyone_signed_in_reads_the_catalogue(site: Site) -> None:
    site.login("lezer")
    page = site.client.get("/organisaties")
    assert page.status_code == 200
    assert "Belastingdienst" in page.text and "sip:+31880000101@127.0.0.1:5080" in page.text
    assert 'action="/organisaties/uwv"' not in page.text  # no forms for a viewer


def test_a_viewer_or_admin_cannot_change_it(site: Site) -> None:
    site.login("goes")
    answer = site.client.post(
        "/organisaties/uwv", data={"csrf": site.csrf("/organisaties"), "naam": "UWV"}
    )
    assert answer.status_code == 403
    assert site.context().directory.organisation("uwv") is not None


def test_the_operator_changes_an_organisation_audited_and_live(site: Site) -> None:
    site.login("ops")
    answer = _post(site, "/organisaties/uwv", naam="UWV", synoniemen="uitkering; WW",
                   bestemming="sip:uwv@kcc.example")  # fmt: skip
    assert answer.status_code == 200 and "Opgeslagen" in answer.text  # type: ignore[attr-defined]
    uwv = site.context().directory.organisation("uwv")
    assert uwv is not None and uwv.destination == "sip:uwv@kcc.example"
    assert uwv.synonyms == ("uitkering", "WW")
    log = site.client.get("/audit").text
    assert "organisatie (landelijk nummer)" in log and "organisatie uwv" in log


def test_add_and_remove(site: Site) -> None:
    site.login("ops")
    _post(site, "/organisaties", code="nvwa", naam="NVWA", synoniemen="voedselveiligheid",
          bestemming="tel:+31880000200")  # fmt: skip
    added = site.context().directory.organisation("nvwa")
    assert added is not None and added.destination == "tel:+31880000200"
    _post(site, "/organisaties/nvwa", naam="NVWA", verwijderen="1")
    assert site.context().directory.organisation("nvwa") is None


def test_bad_input_is_refused_in_dutch_and_changes_nothing(site: Site) -> None:
    site.login("ops")
    before = site.context().directory.version
    for form in (
        {"naam": "UWV", "bestemming": "sip:a@b\r\nContact: <sip:e@1.2.3.4>"},
        {"naam": ""},
        {"naam": "UWV", "synoniemen": ";".join(f"s{n}" for n in range(21))},
    ):
        answer = _post(site, "/organisaties/uwv", **form)
        assert answer.status_code == 400  # type: ignore[attr-defined]
        assert "Niet opgeslagen" in answer.text  # type: ignore[attr-defined]
    taken = _post(site, "/organisaties", code="uwv", naam="UWV")
    assert "Er is al een organisatie met de code uwv" in taken.text  # type: ignore[attr-defined]
    wrong = _post(site, "/organisaties", code="Geen Code!", naam="X")
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert site.context().directory.version == before


def test_one_without_destination_is_on_the_status_page_and_in_health(site: Site) -> None:
    site.login("ops")
    _post(site, "/organisaties/duo", naam="DUO", bestemming="")
    site.client.post("/uitloggen", data={"csrf": site.csrf("/organisaties")})
    status = site.client.get("/status").text
    assert 'id="organisaties-onbereikbaar"' in status and "DUO" in status
    health = json.loads(site.client.get("/health").text)
    assert health["status"] == "degraded"
    assert health["destinations"]["organisations"] == [{"code": "duo", "name": "DUO"}]
