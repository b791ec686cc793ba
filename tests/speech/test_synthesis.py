from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from veertien.speech.synthesis import (
    EspeakSynthesiser,
    SynthesisError,
    duration_s,
    speakable,
)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        (
            "U kunt de gemeente zelf bellen op 0900 1852.",
            "U kunt de gemeente zelf bellen op 0 9 0 0, 1 8 5 2.",
        ),
        ("Bel +31 20 5551234.", "Bel plus 3 1, 2 0, 5 5 5 1 2 3 4."),
        ("Voor Goes, toets 2. Sinds 2026.", "Voor Goes, toets 2. Sinds 2026."),
    ],
)
def test_numbers_are_read_digit_by_digit(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_render_caches_on_disk(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng and sox are missing (scripts/install installs them)")
        pytest.skip("espeak-ng and sox are missing")
    synth = EspeakSynthesiser(tmp_path)
    pcm = synth.render("Welkom bij veertien.")
    assert 0.8 < duration_s(pcm) < 4.0 and len(pcm) % 2 == 0
    (cached,) = tmp_path.glob("*.pcm")
    assert cached.read_bytes() == pcm
    cached.write_bytes(b"\x00\x00" * 10)
    assert synth.render("Welkom bij veertien.") == b"\x00\x00" * 10  # served from the cache


def test_missing_programs_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SynthesisError, match="espeak-ng and sox"):
        EspeakSynthesiser(tmp_path).render("Hallo")


def _fake_programs(bin_dir: Path, log: Path) -> None:
    """espeak-ng and sox stand-ins that write down their arguments and standard input."""
    bin_dir.mkdir()
    for name in ("espeak-ng", "sox"):
        script = bin_dir / name
        script.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$0" "$@" >> "{log}"\n'
            f'{shutil.which("cat")} >> "{log}"\n'
            'printf "RIFF"\n'
        )
        script.chmod(0o755)


def test_prompt_text_never_reaches_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A calamity message of '-f/etc/hostname' once made espeak-ng read that file aloud: the
    text must go in on standard input, where it can never be an option."""
    log = tmp_path / "log"
    _fake_programs(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    EspeakSynthesiser(tmp_path / "cache").render("-f/etc/hostname")
    argv = [line for line in log.read_text().splitlines() if line.startswith(("-", "/"))]
    assert "-f/etc/hostname" not in argv
    assert "--stdin" in argv
    assert "-f/etc/hostname" in log.read_text()  # it was spoken: it went in on stdin


def test_a_text_that_looks_like_an_option_is_spoken_not_obeyed(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng and sox are missing (scripts/install installs them)")
        pytest.skip("espeak-ng and sox are missing")
    secret = tmp_path / "secret.txt"
    secret.write_text(" ".join(["geheime sleutel van het portaal"] * 12))
    synth = EspeakSynthesiser(tmp_path / "cache")
    read_aloud = duration_s(synth.render(secret.read_text()))
    injected = duration_s(synth.render(f"-f{secret}"))
    assert read_aloud > 15
    assert injected < read_aloud / 2  # the path itself was spoken, not the file


@pytest.mark.parametrize("voice", ["-f/etc/hostname", "nl --stdout", "../nl", "", "nl+" + "x" * 30])
def test_voice_names_are_checked(tmp_path: Path, voice: str) -> None:
    with pytest.raises(SynthesisError, match="not an espeak-ng voice"):
        EspeakSynthesiser(tmp_path, voice=voice)


@pytest.mark.parametrize("voice", ["nl", "nl+f2", "en-gb", "nl+m3"])
def test_real_voice_names_pass(tmp_path: Path, voice: str) -> None:
    assert EspeakSynthesiser(tmp_path, voice=voice).voice == voice


def test_overlong_prompts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SynthesisError, match="longer than"):
        EspeakSynthesiser(tmp_path).render("a" * 2001)
