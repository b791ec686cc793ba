"""pocketsphinx with Dutch pronunciations: espeak-ng's IPA in ARPAbet, grammars, a real decode."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from veertien.media.g711 import Law, decode, encode
from veertien.speech.phones import PronunciationError, espeak_ipa, ipa_to_phones, pronunciations
from veertien.speech.recogniser import Context, from_telephone
from veertien.speech.sphinx import SphinxRecogniser, grammar, token
from veertien.speech.synthesis import EspeakSynthesiser


@pytest.mark.parametrize(
    ("ipa", "phones"),
    [
        ("ˈeːpə", "EY P AH"),  # Epe
        ("ɣˈus", "HH UW S"),  # Goes: the Dutch g is a fricative
        ("ɦœyzən", "HH AW Z AH N"),  # Huizen: the diphthong before its vowels
        ("ʋˈɛɪhə", "V EY HH AH"),  # Wijhe
        ("vlˈɪsɪŋən", "V L IH S IH NG AH N"),
        ("ˈɔlstt", "AO L S T"),  # a phone twice in a row is one sound
        ("ʔa", "AA"),  # glottal stops and unknown signs are left out
    ],
)
def test_ipa_maps_to_the_nearest_english_phones(ipa: str, phones: str) -> None:
    assert " ".join(ipa_to_phones(ipa)) == phones


def test_tokens_and_grammar() -> None:
    assert token("'s-Hertogenbosch") == token("s Hertogenbosch")
    assert token("Olst-Wijhe") == "olst_wijhe"
    text = grammar(["goes", "kapelle", "goes"])
    assert "( goes | kapelle )" in text and "<carrier>*" in text


@pytest.mark.usefixtures("voices")
def test_espeak_gives_one_pronunciation_per_name() -> None:
    names = ["Epe", "Nuenen, Gerwen en Nederwetten", "Bergen (NH)", "'s-Gravenhage"]
    assert len(espeak_ipa(names)) == len(names)
    found = pronunciations(["Goes", "Epe"])
    assert found == {"Goes": ["HH", "UW", "S"], "Epe": ["EY", "P", "AH"]}


def test_a_missing_espeak_is_said_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(PronunciationError, match="espeak-ng is not installed"):
        espeak_ipa(["Epe"])


@pytest.mark.usefixtures("voices")
def test_sphinx_hears_a_name_through_the_telephone(tmp_path: Path) -> None:
    """A smoke test of the real engine (the evaluation benchmark measures its quality)."""
    sphinx = SphinxRecogniser()
    names = ("Goes", "Kapelle", "Reimerswaal", "Borsele", "Noord-Beveland")
    heard = sphinx.recognise(from_telephone(b""), Context(names))
    assert heard == []
    speech = EspeakSynthesiser(tmp_path).render("Noord-Beveland")
    pcm8k = decode(encode(speech, Law.PCMU), Law.PCMU)
    (best,) = sphinx.recognise(from_telephone(pcm8k), Context(names))
    assert best.text == "noord beveland" and 0 < best.score <= 1
    assert sphinx.recognise(from_telephone(pcm8k), Context(())) == []


def test_denoise_takes_out_steady_hiss_and_keeps_speech() -> None:
    import numpy as np  # noqa: PLC0415

    from veertien.speech.denoise import denoise  # noqa: PLC0415

    rng = np.random.default_rng(1)
    tone = np.sin(np.arange(16000) * 0.1) * 8000
    tone[:4000] = tone[12000:] = 0
    noisy = tone + rng.normal(0, 800, tone.size)
    out = np.frombuffer(denoise(noisy.astype("<i2").tobytes()), dtype="<i2").astype(float)
    assert np.std(out[:4000]) < 0.5 * np.std(noisy[:4000])  # the hiss alone: down > 6 dB
    assert np.std(out - tone) < 0.6 * np.std(noisy - tone)  # closer to the clean signal
    assert denoise(b"\x01\x00" * 100) == b"\x01\x00" * 100  # too short to estimate: as is
