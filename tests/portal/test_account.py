"""A user's own account: a one-time password is changed before anything else; the user's own
password change; API tokens made and revoked in the portal; an operator's one-time password
for somebody else; the audit log in Dutch with local times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.testclient import TestClient

from tests.portal.conftest import PASSWORD, Site
from veertien.portal.dutch import audit_action, audit_target, local_time, number
from veertien.storage.users import Role, first_operator

NEW = "mijn eigen lange wachtwoord"


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def test_the_first_operator_must_choose_a_password_before_any_page(site: Site) -> None:
    ops = site.storage.users.by_name("ops")
    assert ops is not None
    site.storage.users.set_password(ops, "eenmalig-wachtwoord-123", "cli", one_time=True)
    client = site.login("ops", "eenmalig-wachtwoord-123")
    for path in ("/gemeenten", "/import", "/gebruikers", "/rapporten", "/audit"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/account", path
    assert client.get("/api/municipalities").status_code == 428  # the API says why
    account = client.get("/account")
    assert 'id="must-change"' in account.text and "API-tokens" not in account.text
    csrf = _field(account.text, "csrf")
    same = {"current": "eenmalig-wachtwoord-123", "new": "eenmalig-wachtwoord-123",
            "repeated": "eenmalig-wachtwoord-123", "csrf": csrf}  # fmt: skip
    assert client.post("/account/wachtwoord", data=same).status_code == 422
    changed = {**same, "new": NEW, "repeated": NEW}
    page = client.post("/account/wachtwoord", data=changed)
    assert page.status_code == 200 and "Uw wachtwoord is gewijzigd" in page.text
    assert client.get("/gemeenten").status_code == 200  # on in a fresh session
    assert site.storage.users.verify("ops", NEW) is not None
    assert site.storage.users.verify("ops", "eenmalig-wachtwoord-123") is None


def test_first_operator_and_cli_made_accounts_are_one_time(site: Site, tmp_path: object) -> None:
    assert first_operator(site.storage.users) is None  # there are users already
    made = site.storage.users.create("nieuw", PASSWORD, Role.VIEWER, None, "cli", one_time=True)
    assert made.must_change


def test_a_password_change_needs_the_current_password_and_two_equal_new_ones(site: Site) -> None:
    client = site.login("goes")
    csrf = site.csrf("/account")
    wrong = {"current": "niet het wachtwoord", "new": NEW, "repeated": NEW, "csrf": csrf}
    page = client.post("/account/wachtwoord", data=wrong)
    assert page.status_code == 422 and "huidige wachtwoord klopt niet" in page.text
    unequal = {**wrong, "current": PASSWORD, "repeated": NEW + "x"}
    assert "niet gelijk" in client.post("/account/wachtwoord", data=unequal).text
    short = {**wrong, "current": PASSWORD, "new": "kort", "repeated": "kort"}
    assert "minstens 12 tekens" in client.post("/account/wachtwoord", data=short).text
    assert site.storage.users.verify("goes", PASSWORD) is not None  # nothing changed


def test_an_admin_makes_an_api_token_sees_it_once_and_revokes_it(site: Site) -> None:
    client = site.login("goes")
    page = client.post("/account/tokens", data={"label": "koppeling KCC", "csrf": site.csrf()})
    token = re.search(r'<code id="new-token">([^<]+)</code>', page.text)
    assert token is not None
    bare = TestClient(site.client.app)  # no session cookie: the token alone
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert bare.get("/api/municipalities/GM0664", headers=bearer).status_code == 200
    again = client.get("/account").text
    assert "koppeling KCC" in again and token.group(1) not in again  # listed, never shown again
    token_id = re.search(r"/account/tokens/(\d+)/intrekken", again)
    assert token_id is not None
    client.post(f"/account/tokens/{token_id.group(1)}/intrekken", data={"csrf": site.csrf()})
    assert bare.get("/api/municipalities/GM0664", headers=bearer).status_code == 401


def test_a_token_keeps_working_while_its_owner_must_change_the_password(site: Site) -> None:
    users = site.storage.users
    ops = users.by_name("ops")
    assert ops is not None
    token = users.new_token(ops, "monitoring", "cli")
    users.set_password(ops, "eenmalig-wachtwoord-123", "cli", one_time=True)
    bare = TestClient(site.client.app)
    got = bare.get("/api/municipalities", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200


def test_an_operator_gives_a_one_time_password_that_must_be_changed(site: Site) -> None:
    client = site.login("ops")
    goes = site.storage.users.by_name("goes")
    assert goes is not None
    page = client.post(f"/gebruikers/{goes.id}/wachtwoord", data={"csrf": site.csrf()})
    shown = re.search(r"Eenmalig wachtwoord voor goes: (\S+)", page.text)
    assert shown is not None and "eenmalig (nog te wijzigen)" in page.text
    again = site.storage.users.by_name("goes")
    assert again is not None and again.must_change
    assert site.storage.users.verify("goes", shown.group(1)) is not None


def test_only_an_operator_gives_one_time_passwords(site: Site) -> None:
    client = site.login("goes")
    ops = site.storage.users.by_name("ops")
    assert ops is not None
    page = client.post(f"/gebruikers/{ops.id}/wachtwoord", data={"csrf": site.csrf()})
    assert page.status_code == 403
    assert site.storage.users.verify("ops", PASSWORD) is not None


def test_a_new_users_municipality_is_chosen_from_the_directory(site: Site) -> None:
    client = site.login("ops")
    page = client.get("/gebruikers").text
    assert '<select id="municipality" name="municipality">' in page and "Goes (GM0664)" in page
    form = {"username": "borsele", "password": PASSWORD, "role": "admin",
            "municipality": "GM9999", "csrf": site.csrf()}  # fmt: skip
    refused = client.post("/gebruikers", data=form)
    assert "GM9999 staat niet in de gemeentelijst" in refused.text
    assert site.storage.users.by_name("borsele") is None
    client.post("/gebruikers", data={**form, "municipality": "GM0654"})
    made = site.storage.users.by_name("borsele")
    assert made is not None and made.must_change and made.municipality == "GM0654"


def test_the_audit_log_is_dutch_with_amsterdam_times(site: Site) -> None:
    client = site.login("ops")
    client.post("/account/tokens", data={"label": "x", "csrf": site.csrf()})
    audit = client.get("/audit").text
    assert "API-token gemaakt" in audit and "gebruiker ops" in audit
    assert "token created" not in audit and "UTC" not in audit
    assert "Wanneer</th>" in audit


def test_dutch_formats() -> None:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    zone = ZoneInfo("Europe/Amsterdam")
    assert local_time(datetime(2026, 12, 2, 13, 5, tzinfo=UTC), zone) == "2 december 2026 14:05"
    assert local_time(datetime(2026, 7, 1, 22, 30), zone) == "2 juli 2026 00:30"  # naive: UTC
    assert number(1234567.891, 2) == "1.234.567,89" and number(12) == "12"
    assert audit_action("settings GM0664") == "instellingen GM0664"
    assert audit_action("directory import refused") == "gemeentelijst geïmporteerd: geweigerd"
    names = {"GM0995": "Lelystad"}
    assert (
        audit_target("municipalities.GM0995.destination", names) == "Lelystad (GM0995): bestemming"
    )
    assert audit_target("user:piet", names) == "gebruiker piet"


def test_settings_and_import_errors_are_dutch() -> None:
    from veertien.portal.dutch import SETTING_NAMES, error_text  # noqa: PLC0415

    assert error_text("closed_message contains control characters", SETTING_NAMES) == (
        "melding buiten openingstijden: bevat stuurtekens"
    )
    assert error_text("opening range '8-17' is not like 08:30-17:00") == (
        "openingstijden: '8-17' is niet van de vorm 08:30-17:00"
    )
    assert error_text(
        "directory GM0664 (Goes): sip:x@1.2.3.4 is refused: host 1.2.3.4 is not on the "
        "allow-list (destination_hosts)"
    ) == (
        "directory GM0664 (Goes): bestemming sip:x@1.2.3.4 is niet toegestaan: host 1.2.3.4 "
        "staat niet op de toegestane lijst (destination_hosts)"
    )
    lines = "2 error(s) in the directory:\ngemeenten.csv:5: inwoners 'abc' is not a whole number"
    assert error_text(lines + "\nnetnummers.csv:1: missing column(s) ['netnummer']") == (
        "2 fout(en) in de gemeentelijst:\ngemeenten.csv regel 5: inwoners 'abc' is geen geheel "
        "getal\nnetnummers.csv regel 1: kolom(men) ontbreken: ['netnummer']"
    )


def test_a_bad_setting_in_the_portal_reads_dutch(site: Site) -> None:
    client = site.login("goes")
    form = {"csrf": site.csrf(), "destination": "sip:kcc@goes.example", "always_open": "",
            "hours_mon": "8-17"}  # fmt: skip
    page = client.post("/gemeenten/GM0664", data=form)
    assert "Niet opgeslagen: openingstijden:" in page.text and "is not like" not in page.text
