"""The JSON API: token auth, roles, validation, and a property test against its own OpenAPI
description (no 500s, answers as described)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.conftest import Site


def _token(site: Site, name: str) -> dict[str, str]:
    user = next(u for u in site.storage.users.all() if u.username == name)
    return {"Authorization": f"Bearer {site.storage.users.new_token(user, 'test', 'test')}"}


def test_the_api_lists_what_the_caller_may_see(site: Site) -> None:
    assert site.client.get("/api/municipalities").status_code == 401
    goes = site.client.get("/api/municipalities", headers=_token(site, "goes")).json()
    assert [m["code"] for m in goes["municipalities"]] == ["GM0664"]
    everything = site.client.get("/api/municipalities", headers=_token(site, "ops")).json()
    assert len(everything["municipalities"]) == len(site.context().directory.municipalities)
    other = site.client.get("/api/municipalities/GM0678", headers=_token(site, "goes"))
    assert other.status_code == 403


def test_settings_by_api_are_validated_audited_and_live(site: Site) -> None:
    headers = _token(site, "goes")
    url = "/api/municipalities/GM0664/settings"
    bad = site.client.put(url, json={"destination": "mailto:x"}, headers=headers)
    assert bad.status_code == 422 and "not a usable sip:" in bad.json()["error"]
    assert site.client.put(url, content=b"{", headers=headers).status_code == 400
    ok = site.client.put(url, json={"calamity": True}, headers=headers)
    assert ok.status_code == 200 and ok.json()["settings"] == {"calamity": True}
    assert site.context().settings.for_municipality("GM0664").calamity
    refused = site.client.put(
        "/api/municipalities/GM0678/settings", json={"calamity": True}, headers=headers
    )
    assert refused.status_code == 403


def test_the_openapi_description_names_every_route(site: Site) -> None:
    spec = site.client.get("/api/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/municipalities",
        "/api/municipalities/{code}",
        "/api/reports/{name}",
        "/api/municipalities/{code}/settings",
        "/api/status",
    }


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    ["destination", "status", "hours", "calamity", "calamity_message", "keep_transcripts", "x"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    code=st.sampled_from(["GM0664", "GM0678", "GM9999", "x", "%00"]),
    body=st.dictionaries(_FIELDS, _JSON, max_size=4) | _JSON,
    who=st.sampled_from(["ops", "goes", "lezer", None]),
)
def test_fuzzed_api_calls_never_fail_with_500(
    site: Site, code: str, body: Any, who: str | None
) -> None:
    headers = _token(site, who) if who else {}
    for answer in (
        site.client.put(f"/api/municipalities/{code}/settings", json=body, headers=headers),
        site.client.get(f"/api/municipalities/{code}", headers=headers),
        site.client.get("/api/status"),
    ):
        assert answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/json")


def test_a_destination_with_crlf_is_refused_everywhere(site: Site) -> None:
    """A destination holding CR LF added headers to the 302 (a second Contact outside the
    directory). The API, the form and settings validation refuse it, and nothing changes."""
    before = site.context().data_version
    evil = "sip:kcc@goes.example\r\nContact: <sip:evil@1.2.3.4>"
    url = "/api/municipalities/GM0664/settings"
    answer = site.client.put(url, json={"destination": evil}, headers=_token(site, "goes"))
    assert answer.status_code == 422 and "not a usable sip:" in answer.json()["error"]
    departments = {"departments": [{"name": "Afval", "destination": evil}]}
    answer = site.client.put(url, json=departments, headers=_token(site, "goes"))
    assert answer.status_code == 422
    client = site.login("ops")
    form = {"csrf": site.csrf(), "destination": evil, "overflow_destination": ""}
    page = client.post("/gemeenten/GM0664", data=form)
    assert "Niet opgeslagen" in page.text
    assert site.context().data_version == before
