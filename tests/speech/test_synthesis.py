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
