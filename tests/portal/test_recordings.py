"""Recorded prompts in the portal (/opnames): each sentence of an area's offered language,
uploaded, heard back, removed; a bad file is refused in Dutch and changes nothing; an admin
changes only the areas of their own municipality."""

from __future__ import annotations

import io
import math
import re
import shutil
import wave
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.portal.conftest import Site
from veertien.portal.base import Portal
from veertien.portal.recordings import script
from veertien.routing.languages import LanguageSettings
from veertien.storage.schema import audit_log

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
WHAT = "Dat haw ik net goed ferstien."


def _wav(seconds: float, level: float = 0.1, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * math.pi * 2 * t)
    tone = np.clip(level * 32767 * envelope * np.sin(2 * math.pi * 300 * t), -32768, 32767)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.astype("<i2").tobytes())
    return out.getvalue()


def _frisian(site: Site) -> None:
    config = site.storage.config
    settings = config.settings()
    offer = LanguageSettings.from_json({"areas": {"0113": {"fy": "8"}}})
    config.save_settings(replace(settings, languages=offer), "test")


def _upload(
    site: Site, data: bytes, text: str = WHAT, language: str = "fy"
) -> Any:  # the test client's response
    form = {"csrf": site.csrf("/opnames/0113"), "taal": language, "tekst": text, "actie": "opslaan"}
    return site.client.post("/opnames/0113", data=form, files={"opname": ("zin.wav", data)})


def _audit_count(site: Site) -> int:
    with site.storage.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar() or 0)


@needs_sox
def test_upload_hear_and_remove_a_sentence(site: Site) -> None:
    _frisian(site)
    client = site.login("goes")
    page = client.get("/opnames")
    assert "0113" in page.text and "Fries" in page.text
    assert re.search(r"<td>0</td><td>(\d+)</td>\s*<td>nog \1 zinnen", page.text)
    done = _upload(site, _wav(1.5))
    assert done.status_code == 200 and "Opname opgeslagen" in done.text  # after the redirect
    heard = client.get("/opnames/0113/geluid", params={"taal": "fy", "tekst": WHAT})
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(heard.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() / 8000 - 1.5) < 0.05
    assert site.storage.recordings.audio("0113", "fy", WHAT) is not None
    form = {"csrf": site.csrf("/opnames/0113"), "taal": "fy", "tekst": WHAT, "actie": "verwijderen"}
    assert "Opname verwijderd" in client.post("/opnames/0113", data=form).text
    assert site.storage.recordings.all_audio() == {}


@needs_sox
@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"RIFF but not audio at all" * 10, "geen WAV-, MP3- of OGG"),
        (_wav(0.1), "kort"),
        (_wav(2.0, level=0.0), "is stil"),
        (_wav(2.0, level=4.0), "overstuurd"),
        (_wav(61.0, rate=8000), "hoogstens 60 s"),
    ],
    ids=["not-audio", "too-short", "silent", "clipped", "too-long"],
)
def test_a_bad_recording_is_refused_in_dutch_and_changes_nothing(
    site: Site, data: bytes, why: str
) -> None:
    _frisian(site)
    site.login("goes")
    before = _audit_count(site)
    refused = _upload(site, data)
    assert refused.status_code == 422 and why in refused.text
    assert site.storage.recordings.all_audio() == {} and _audit_count(site) == before


def test_only_the_areas_sentences_and_own_areas_may_be_changed(site: Site) -> None:
    _frisian(site)
    site.login("goes")
    assert _upload(site, _wav(1.0), text="Iets anders.").status_code == 400
    assert _upload(site, _wav(1.0), language="en").status_code == 400  # not offered here
    site.client.post("/uitloggen", data={"csrf": site.csrf("/opnames")})
    site.login("lezer")
    assert _upload(site, _wav(1.0)).status_code == 403  # a viewer changes nothing
    assert site.storage.recordings.all_audio() == {}


def test_the_script_lists_the_offered_languages_sentences(site: Site) -> None:
    _frisian(site)
    dutch, frisian = script(Portal(site.storage, site.storage.routing_context), "0113")
    assert dutch.language == "nl" and dutch.voiced and not dutch.missing  # a voice says the rest
    assert dutch.sentences.required[0] == "Welkom bij uw gemeente."  # heard in Dutch: listed
    assert not any("Frysk" in s for s in dutch.sentences.all)
    assert frisian.language == "fy" and frisian.key == "8"
    assert frisian.sentences.required[0] == "Foar it Frysk, druk op 8."
    assert len(frisian.missing) == len(frisian.sentences.required)


@needs_sox
def test_the_operator_records_a_sentence_for_every_area(site: Site) -> None:
    _frisian(site)
    site.login("goes")
    form = {"csrf": site.csrf("/opnames/alle"), "taal": "fy", "tekst": WHAT, "actie": "opslaan"}
    wav = {"opname": ("zin.wav", _wav(1.0))}
    assert site.client.post("/opnames/alle", data=form, files=wav).status_code == 403
    site.client.post("/uitloggen", data={"csrf": site.csrf("/opnames")})
    site.login("ops")
    page = site.client.get("/opnames/alle").text
    assert WHAT in page and "Welkom bij het telefoonnummer van uw gemeente." in page
    form["csrf"] = site.csrf("/opnames/alle")
    done = site.client.post("/opnames/alle", data=form, files=wav)
    assert "Opname opgeslagen" in done.text
    assert site.storage.recordings.audio("", "fy", WHAT) is not None
    area = site.client.get("/opnames/0113").text
    assert "(voor alle netnummers)" in area  # heard in 0113 too, not removable there
    heard = site.client.get("/opnames/0113/geluid", params={"taal": "fy", "tekst": WHAT})
    assert heard.status_code == 200
    _, frisian = script(Portal(site.storage, site.storage.routing_context), "0113")
    assert WHAT in frisian.recorded and WHAT not in frisian.missing and WHAT not in frisian.own
