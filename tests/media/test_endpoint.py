from __future__ import annotations

import math
import random
import struct

from veertien.media.endpoint import Endpointer, SpeechEnded, SpeechStarted, frame_db


def frame(amplitude: float, rng: random.Random, tone: bool = False) -> bytes:
    samples = [
        int(amplitude * (math.sin(2 * math.pi * 300 * n / 8000) if tone else rng.uniform(-1, 1)))
        for n in range(160)
    ]
    return struct.pack("<160h", *samples)


def test_levels() -> None:
    assert frame_db(b"\x00" * 320) == -100.0
    assert -4 < frame_db(frame(32767, random.Random(1), tone=True)) < -2


def test_speech_between_noise_is_found_with_its_timing() -> None:
    rng = random.Random(14)
    frames = [frame(100, rng) for _ in range(25)]  # 500 ms of line noise
    frames += [frame(6000, rng, tone=True) for _ in range(40)]  # 800 ms of "speech"
    frames += [frame(100, rng) for _ in range(40)]  # 800 ms of noise
    endpointer = Endpointer()
    events = [e for f in frames if (e := endpointer.feed(f)) is not None]
    assert events == [SpeechStarted(500), SpeechEnded(1300, 800)]


def test_noise_alone_and_a_click_are_not_speech() -> None:
    rng = random.Random(3)
    endpointer = Endpointer()
    frames = [frame(300, rng) for _ in range(50)] + [frame(8000, rng, tone=True)]
    frames += [frame(300, rng) for _ in range(50)]
    assert [e for f in frames if (e := endpointer.feed(f)) is not None] == []
