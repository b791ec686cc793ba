"""English speakers saying Dutch municipality names (issue 19): what a caller who pressed 9 for
English gets when asked "Say the name of your municipality or town."

    .venv/bin/python bench/speech_english.py [--data ../shared/data] [--limit N] [--out FILE]

Corpus: every municipality of every shared area code of the national reference set (as
bench/speech_corpus.py builds them), its name said in an English carrier phrase ("Goes,
please", "I'd like Goes", "er, Goes") by espeak-ng's English voices (en-gb, en-us and their
variants: English letter-to-sound rules on a Dutch name, which is how an English speaker tends
to say it) at 120-200 words/min, over the same noise, G.711 µ-law and packet loss as the Dutch
corpus. Synthetic voices, not people: say so with every figure.

Each utterance goes through Whisper exactly as in a call after English was chosen (the area's
names as candidates, `language` en) and, for comparison, as if the caller had stayed Dutch
(`nl`). Reported per language setting: top-1 among the area's candidates on the first answer
(goal ≥ 80 % with en), and what the product's policy does with it (accept right / wrong, confirm,
choose, ask again). Bounded: one utterance per municipality per area; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speech_call import emit  # noqa: E402
from bench.speech_corpus import Noise, Voice, render, shared_areas  # noqa: E402
from veertien.directory import Directory, import_directory  # noqa: E402
from veertien.platform import PlatformSettings  # noqa: E402
from veertien.speech.matcher import matcher_for_codes  # noqa: E402
from veertien.speech.pool import PoolListener, scored  # noqa: E402
from veertien.speech.recogniser import Context, Engine, from_telephone  # noqa: E402
from veertien.speech.scoring import decide, policy_from  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
CARRIERS = ("{}", "{}, please.", "I'd like {}, please.", "Er, {}.", "I live in {}.",
            "The municipality of {}.", "{}. {}.")  # fmt: skip
VOICES = ("en-gb", "en-us", "en-gb+m3", "en-us+f2", "en-gb+f3", "en-gb-scotland")


def _voice(rng: random.Random) -> Voice:
    snr = None if rng.random() < 0.4 else rng.uniform(10.0, 20.0)
    noise = Noise.CLEAN if snr is None else rng.choice([Noise.WHITE, Noise.LINE, Noise.BABBLE])
    loss = rng.choice([0.0, 0.0, 0.0, 0.01, 0.03])
    return Voice("", rng.randint(120, 200), rng.randint(30, 70), snr, noise, loss,
                 language=rng.choice(VOICES))  # fmt: skip


def corpus(directory: Directory, limit: int | None) -> list[tuple[str, tuple[str, ...], str, str]]:
    """(area, candidates, truth, phrase) for every municipality of every shared area."""
    rng = random.Random(19)
    found = []
    for area, candidates in shared_areas(directory).items():
        for truth in candidates:
            name = directory.municipalities[truth].name
            found.append((area, candidates, truth, rng.choice(CARRIERS).format(name, name)))
    return found[:limit] if limit else found


async def _measure(
    directory: Directory, items: list[tuple[str, tuple[str, ...], str, str]], audio: list[bytes],
    listener: PoolListener, language: str,
) -> dict[str, Any]:  # fmt: skip
    policy = policy_from(PlatformSettings().speech_thresholds)
    right, actions, seconds = 0, Counter[str](), list[float]()
    slots = asyncio.Semaphore(listener.workers)

    async def one(item: tuple[str, tuple[str, ...], str, str], pcm: bytes) -> None:
        nonlocal right
        _, candidates, truth, _ = item
        matcher = matcher_for_codes(directory, candidates)
        names = sorted({n.text for n in matcher.names if n.kind != "place"})
        context = Context(names, language, sorted({n.text for n in matcher.names}))
        async with slots:
            heard = await listener.hear(from_telephone(pcm), context, matcher.names)
        seconds.append(sum(h.seconds for h in heard))
        answer = scored(heard)
        if answer is None or answer.scores is None:
            actions["no_scores"] += 1
            return
        verdict = decide(answer.scores, matcher, policy)
        first = verdict.first
        ok = first is not None and first.municipality == truth
        right += ok
        actions[f"{verdict.action.value}_{'right' if ok else 'wrong'}"] += 1

    await asyncio.gather(*(one(item, pcm) for item, pcm in zip(items, audio, strict=True)))
    ordered = sorted(seconds)
    return {
        "language": language,
        "top1": round(right / max(1, len(items)), 4),
        "first_answer": dict(sorted(actions.items())),
        "whisper_s_p50": round(ordered[len(ordered) // 2], 3) if ordered else None,
    }


async def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    directory = import_directory(args.data)
    items = corpus(directory, args.limit)
    rng = random.Random(190)
    voiced = [(phrase, _voice(rng)) for *_, phrase in items]
    started = time.monotonic()
    audio = await asyncio.to_thread(render, voiced)
    listener = PoolListener([Engine.WHISPER], args.models, args.workers)
    await listener.start()
    try:
        english = await _measure(directory, items, audio, listener, "en")
        dutch = await _measure(directory, items, audio, listener, "nl")
    finally:
        listener.close()
    voices = Counter(v.language for _, v in voiced)
    return {
        "benchmark": "speech_english",
        "synthetic": "espeak-ng English voices saying Dutch names; not people",
        "utterances": len(items),
        "areas": len({i[0] for i in items}),
        "voices": dict(sorted(voices.items())),
        "as_english_call": english,
        "as_dutch_call": dutch,
        "goal_top1_english": 0.8,
        "wall_s": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--models", type=Path, default=ROOT / "veertien-data" / "models")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--limit", type=int, default=None, help="first N utterances (a trial)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    emit(asyncio.run(evaluate(args)), args.out)


if __name__ == "__main__":
    main()
