"""The speech evaluation corpus: what callers to a shared area code might say, synthesised.

Every municipality of every shared area code in the national reference set, said in one of
several carrier phrases, by one of several espeak-ng Dutch voice variants at varied speed and
pitch, through a G.711 channel (µ-law, 8 kHz), with white noise at 10-20 dB SNR on some calls.
One call in four names a place of the municipality instead of the municipality. Every choice
comes from a seeded random generator: the same seed gives the same corpus.

All of it is synthetic. espeak-ng is the only Dutch voice in the registries we can reach (MBROLA's
Dutch voices are outside Debian main, and the PyPI MBROLA front-end downloads them from the web;
no Dutch Piper/Coqui voice is packaged), so figures on this corpus are figures on one robotic
voice family, not on people.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from veertien.directory import Directory
from veertien.media.g711 import Law, decode, encode
from veertien.routing import CallFacts, DecisionKind, RoutingContext, Settings, decide

VARIANTS = ("", "+m1", "+m3", "+m7", "+f2", "+f4", "+klatt", "+klatt4")
CARRIERS = (
    "{}",
    "{}",
    "gemeente {}",
    "ik wil graag de gemeente {}",
    "{} graag",
    "ik bel voor {}",
    "eh, {}",
    "eh, ik wil, eh, {}",  # a hesitation
    "{}, eh, {}",  # a restart
    "ja, goedemorgen, {} alstublieft",
    "met de gemeente {} graag",
)
BABBLE = (  # other people talking in the room, mixed in quietly
    "Heb jij de sleutels van de auto gezien?",
    "Morgen gaan we met de kinderen naar het strand.",
    "Ik heb vandaag nog geen koffie gehad.",
    "Zet de televisie eens wat zachter.",
)
YES = ("ja", "ja hoor", "ja, klopt")
NO = ("nee", "nee hoor", "nee, dat klopt niet")
AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


class Noise(Enum):
    CLEAN = "clean"  # a quiet line
    WHITE = "white"  # hiss
    LINE = "line"  # mains hum and low rumble
    BABBLE = "babble"  # other voices in the room


@dataclass(frozen=True, slots=True)
class Voice:
    variant: str  # espeak-ng voice: "nl" plus a variant
    speed: int  # words per minute
    pitch: int  # 0..99
    snr_db: float | None  # noise at this SNR, or a clean line
    noise: Noise = Noise.WHITE
    loss: float = 0.0  # share of 20 ms packets lost (concealed as silence)
    language: str = "nl"  # the espeak-ng voice the variant is added to (en-gb: English callers)

    def describe(self) -> str:
        noise = "clean" if self.snr_db is None else f"{self.noise.value} {self.snr_db:.0f} dB"
        loss = f" loss {self.loss:.0%}" if self.loss else ""
        return f"{self.language}{self.variant} {self.speed} wpm pitch {self.pitch} {noise}{loss}"


@dataclass(frozen=True, slots=True)
class Utterance:
    area: str  # the area code dialled ("0113")
    candidates: tuple[str, ...]  # the municipalities the call's menu names (CBS codes)
    truth: str  # the municipality the caller wants
    name: str  # the name said (municipality, alias or place)
    kind: str  # "name", "alias" or "place"
    text: str  # the whole phrase
    voice: Voice


def shared_areas(directory: Directory) -> dict[str, tuple[str, ...]]:
    """{area code: the candidates routing names} for every area code with a menu."""
    settings = Settings()
    for code in directory.municipalities:
        settings = settings.with_municipality(code, destination=f"sip:{code}@127.0.0.1")
    ctx = RoutingContext(directory, settings)
    areas: dict[str, tuple[str, ...]] = {}
    for area in sorted({m.area_code for m in directory.memberships}):
        decision = decide(CallFacts(f"14{area}", AT), ctx)
        if decision.kind is DecisionKind.IVR:
            areas[area] = tuple(decision.named_codes())
    return areas


def _voice(rng: random.Random) -> Voice:
    snr = None if rng.random() < 0.4 else rng.uniform(10.0, 20.0)
    noise = Noise.CLEAN if snr is None else rng.choice([Noise.WHITE, Noise.LINE, Noise.BABBLE])
    loss = rng.choice([0.0, 0.0, 0.0, 0.01, 0.03])
    speed = rng.randint(120, 200)
    return Voice(rng.choice(VARIANTS), speed, rng.randint(30, 70), snr, noise, loss)


def _said(directory: Directory, code: str, rng: random.Random) -> tuple[str, str]:
    muni = directory.municipalities[code]
    places = [
        p.name
        for p in directory.places
        if p.municipality == code and p.name.lower() != muni.name.lower()
    ]
    if places and rng.random() < 0.25:
        return rng.choice(sorted(places)), "place"
    if len(muni.names) > 1 and rng.random() < 0.5:
        return rng.choice(muni.names[1:]), "alias"
    return muni.name, "name"


def build(directory: Directory, seed: int = 14, rounds: int = 1) -> list[Utterance]:
    """`rounds` utterances for every municipality of every shared area."""
    rng = random.Random(seed)
    corpus = []
    for area, candidates in shared_areas(directory).items():
        for _ in range(rounds):
            for truth in candidates:
                name, kind = _said(directory, truth, rng)
                text = rng.choice(CARRIERS).format(name, name)
                corpus.append(Utterance(area, candidates, truth, name, kind, text, _voice(rng)))
    return corpus


def _espeak(text: str, voice: Voice) -> bytes:
    """8 kHz 16-bit PCM of `text` in `voice`, as espeak-ng and sox make it."""
    speak = subprocess.run(
        [shutil.which("espeak-ng") or "espeak-ng", "-v", f"{voice.language}{voice.variant}", "-s",
         str(voice.speed), "-p", str(voice.pitch), "--stdout", "--stdin"],
        input=text.encode(), capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    raw = subprocess.run(
        ["sox", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
         "-e", "signed-integer", "-L", "-"],
        input=speak.stdout, capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    return raw


_BABBLE: list[Any] = []
_BABBLE_LOCK = threading.Lock()  # render() synthesises in threads: make the voices once


def _noise(kind: Noise, size: int, rng: Any) -> Any:
    """Unit-power noise of a kind, `size` samples at 8 kHz."""
    import numpy as np  # noqa: PLC0415

    if kind is Noise.LINE:
        t = np.arange(size) / 8000
        hum = np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t)
        rumble = np.cumsum(rng.normal(0, 1, size))
        rumble -= np.convolve(rumble, np.ones(400) / 400, mode="same")
        out = hum + rumble / (np.std(rumble) or 1.0)
    elif kind is Noise.BABBLE:
        with _BABBLE_LOCK:
            if not _BABBLE:
                plain = Voice("+f3", 170, 50, None, Noise.CLEAN)
                talk = [np.frombuffer(_espeak(t, plain), "<i2").astype(float) for t in BABBLE]
                _BABBLE.extend(talk)
        out = np.zeros(size)
        for talk in _BABBLE:
            start = int(rng.integers(0, max(1, talk.size)))
            looped = np.resize(np.roll(talk, -start), size)
            out += looped
    else:
        out = rng.normal(0, 1, size)
    return out / (np.sqrt(np.mean(out**2)) or 1.0)


def synthesise(text: str, voice: Voice, seed: int) -> bytes:
    """8 kHz 16-bit PCM of `text` as the platform receives it: espeak-ng → 8 kHz → noise →
    G.711 µ-law (with lost packets as silence) → linear, with a quarter second of line before
    and after."""
    import numpy as np  # noqa: PLC0415

    raw = _espeak(text, voice)
    pad = np.zeros(2000, dtype=np.float64)
    signal = np.concatenate([pad, np.frombuffer(raw, dtype="<i2").astype(np.float64), pad])
    rng = np.random.default_rng(seed)
    if voice.snr_db is not None:
        loud = signal[np.abs(signal) > 0.05 * np.abs(signal).max()]
        power = float(np.mean(loud**2)) if loud.size else 1.0
        noise = _noise(voice.noise, signal.size, rng)
        signal = signal + noise * np.sqrt(power / 10 ** (voice.snr_db / 10))
    else:
        signal = signal + rng.normal(0, 2.0, signal.size)  # a quiet line, not digital zero
    pcm = np.clip(signal, -32768, 32767).astype("<i2").tobytes()
    line = bytearray(encode(pcm, Law.PCMU))
    if voice.loss:
        for start in range(0, len(line), 160):
            if rng.random() < voice.loss:
                line[start : start + 160] = encode(bytes(320), Law.PCMU)
    return decode(bytes(line), Law.PCMU)


def render(items: Sequence[tuple[str, Voice]], threads: int = 4) -> list[bytes]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda a: synthesise(a[1][0], a[1][1], a[0]), enumerate(items)))
