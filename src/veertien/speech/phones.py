"""Dutch pronunciations for a recogniser whose acoustic model knows only English phones.

espeak-ng's Dutch voice turns a name into IPA (its letter-to-sound rules know Dutch spelling:
"ij", "ui", "sch", a silent "h" in "Wijhe"); each Dutch sound is then mapped to the nearest of
the 39 ARPAbet phones of pocketsphinx's en-US model ("g"/"ch" [ɣ x] → HH, "ui" [œy] → AW,
"w" [ʋ] → V). One espeak-ng process handles a whole batch of names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from veertien.errors import SetupError
from veertien.speech.synthesis import SynthesisError, check_voice

# Longest IPA sequences first: diphthongs before their vowels.
IPA_TO_PHONES: tuple[tuple[str, str], ...] = (
    ("œy", "AW"),
    ("ʌu", "AW"),
    ("ɑu", "AW"),
    ("ɔu", "AW"),
    ("ɛɪ", "EY"),
    ("ɛi", "EY"),
    ("ei", "EY"),
    ("eː", "EY"),
    ("e", "EY"),
    ("ɛ", "EH"),
    ("æ", "AE"),
    ("ə", "AH"),
    ("ɐ", "AH"),
    ("aː", "AA"),
    ("a", "AA"),
    ("ɑ", "AA"),
    ("ɔ", "AO"),
    ("oː", "OW"),
    ("o", "OW"),
    ("u", "UW"),
    ("iː", "IY"),
    ("i", "IY"),
    ("ɪ", "IH"),
    ("yː", "UW"),
    ("y", "UW"),
    ("ʏ", "UH"),
    ("øː", "ER"),
    ("ø", "ER"),
    ("œ", "ER"),
    ("ɣ", "HH"),
    ("x", "HH"),
    ("χ", "HH"),
    ("ɦ", "HH"),
    ("h", "HH"),
    ("ʋ", "V"),
    ("w", "W"),
    ("ŋ", "NG"),
    ("ɲ", "N Y"),
    ("ʃ", "SH"),
    ("ʒ", "ZH"),
    ("j", "Y"),
    ("r", "R"),
    ("ʁ", "R"),
    ("ɾ", "R"),
    ("s", "S"),
    ("z", "Z"),
    ("f", "F"),
    ("v", "V"),
    ("p", "P"),
    ("b", "B"),
    ("t", "T"),
    ("d", "D"),
    ("k", "K"),
    ("g", "G"),
    ("ɡ", "G"),
    ("m", "M"),
    ("n", "N"),
    ("l", "L"),
    ("ɫ", "L"),
    ("c", "K"),
)
_IGNORED = re.compile(r"[ˈˌːˑ‿ \-_.,'ʔ̩̃]")


class PronunciationError(SetupError):
    """espeak-ng is missing or answered something we cannot use."""


def ipa_to_phones(ipa: str) -> list[str]:
    """ARPAbet phones for one word's IPA; sounds with no counterpart are left out."""
    text = _IGNORED.sub("", ipa)
    phones: list[str] = []
    pos = 0
    while pos < len(text):
        for sound, mapped in IPA_TO_PHONES:
            if text.startswith(sound, pos):
                phones.extend(mapped.split())
                pos += len(sound)
                break
        else:
            pos += 1  # stress, length and anything unknown
    # A phone twice in a row ("Olst-Tienhoven" across the hyphen) is one sound.
    return [p for i, p in enumerate(phones) if i == 0 or p != phones[i - 1]]


def espeak_ipa(texts: Sequence[str], voice: str = "nl") -> list[str]:
    """IPA for each text, one espeak-ng run for the whole batch."""
    if not texts:
        return []
    try:
        check_voice(voice)
    except SynthesisError as exc:
        raise PronunciationError(str(exc)) from None
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise PronunciationError("espeak-ng is not installed (apt install espeak-ng)")
    clean = [re.sub(r"[\r\n.,;:!?()]+", " ", t).strip() or "-" for t in texts]
    done = subprocess.run(
        [exe, "-v", voice, "-q", "--ipa"],  # names on stdin (a line each), never as arguments
        input="\n".join(clean) + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    lines = [line.strip() for line in done.stdout.splitlines()]
    if done.returncode != 0 or len(lines) != len(texts):
        raise PronunciationError(
            f"espeak-ng gave {len(lines)} pronunciations for {len(texts)} names "
            f"(exit {done.returncode}): {done.stderr.strip()[:200]}"
        )
    return lines


def pronunciations(texts: Sequence[str], voice: str = "nl") -> dict[str, list[str]]:
    """{text: ARPAbet phones} for Dutch names and words."""
    ipa = espeak_ipa(texts, voice)
    out: dict[str, list[str]] = {}
    for text, sounds in zip(texts, ipa, strict=True):
        phones = ipa_to_phones(sounds)
        if phones:
            out[text] = phones
    return out
