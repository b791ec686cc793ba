"""The caller's language end to end with SIPp: a shared area offers English on key 9 after the
greeting ("For English, press 9.", in espeak-ng's English voice); a caller who presses 9 hears
every prompt after it in English, presses 2 and is transferred to Goes; the call record says
`en`. Keys are Debian's RFC 4733 recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TUESDAY_MORNING
from tests.e2e.peers import (
    Server,
    keyed_call,
    keys,
    veertien_server,
)
from veertien.directory import demo_directory
from veertien.ivr.area import menu_words
from veertien.ivr.prompts import spoken_text
from veertien.routing import CallFacts, RoutingContext, decide

pytestmark = pytest.mark.e2e
GOES = "Contact: <sip:+31113000001@127.0.0.1:5080>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    settings = {"key_timeout_s": 3, "languages": {"offer": {"en": "9"}}}
    (data / "settings.json").write_text(json.dumps(settings))
    with veertien_server(data) as running:
        yield running


def _dialogue(record: dict[str, object]) -> list[tuple[str, str]]:
    found = record["dialogue"]
    assert isinstance(found, list)
    return [(str(kind), str(detail)) for kind, detail in found]


def _prompts(record: dict[str, object]) -> list[str]:
    return [detail for kind, detail in _dialogue(record) if kind == "prompt"]


def test_key_nine_and_every_prompt_after_it_is_english(server: Server, tmp_path: Path) -> None:
    keyed_call(server, tmp_path, keys("92", gap_ms=3000), GOES)
    (record,) = server.records(lambda r: r.get("language") == "en" and r["dialled"] == "140113")
    dialogue = _dialogue(record)
    after = dialogue[[kind for kind, _ in dialogue].index("language") + 1 :]
    heard = [detail for kind, detail in after if kind == "prompt"]
    decision = decide(CallFacts("140113", TUESDAY_MORNING), RoutingContext(demo_directory()))
    assert heard == [spoken_text(menu_words(decision.candidates), "en")]  # all of it, English
    assert heard[0].startswith("For Borsele, press 1. For Goes, press 2.")
    assert "For English, press 9." in _prompts(record)
    assert record["response"] == 302 and record["municipality"] == "GM0664"


def test_a_caller_who_presses_no_language_key_stays_dutch(server: Server, tmp_path: Path) -> None:
    keyed_call(server, tmp_path, keys("2"), GOES)
    (record,) = server.records(lambda r: r.get("language") == "nl" and r["dialled"] == "140113")
    prompts = _prompts(record)
    assert prompts[1] == "For English, press 9."  # offered, not taken
    assert all("press" not in p for p in prompts[2:])
