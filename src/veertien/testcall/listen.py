"""The test caller's speech: an espeak-ng voice to speak with, Whisper to listen with."""

from __future__ import annotations

import shutil
from pathlib import Path

from veertien.errors import SetupError
from veertien.speech.synthesis import EspeakSynthesiser
from veertien.testcall.caller import Speaker

MODELS = "models"
CALLER_PROMPTS = "prompts/caller"


# The platform's way of speaking (no municipality's name: a name here would bias what the
# caller hears when it is asked "Bedoelt u ...?").
HINTS = ("Welkom", "Zeg de naam van uw gemeente", "Bedoelt u", "Zeg ja of nee", "toets")


class SpeakerError(SetupError):
    """The caller cannot speak or listen here; the text says what is missing."""


def speaker_for(text: str, voice: str, data: Path) -> Speaker:
    """A caller that says `text` in `voice` and hears with Whisper (veertien[speech])."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise SpeakerError("speaking needs espeak-ng and sox (apt-get install espeak-ng sox)")
    try:
        from veertien.speech.recogniser import Context, from_telephone  # noqa: PLC0415
        from veertien.speech.whisper import ModelError, WhisperRecogniser  # noqa: PLC0415
    except ImportError as exc:
        raise SpeakerError(f"listening needs veertien[speech] ({exc})") from None
    try:
        whisper = WhisperRecogniser(data / MODELS, chunk_s=30)  # whole prompts, not 10 s
    except (ModelError, ImportError) as exc:
        raise SpeakerError(str(exc)) from None

    def transcribe(audio8k: bytes) -> str:
        found = whisper.recognise(from_telephone(audio8k, clean=False), Context(HINTS))
        return found[0].text if found else ""

    return Speaker(text, EspeakSynthesiser(data / CALLER_PROMPTS, voice=voice), transcribe)
