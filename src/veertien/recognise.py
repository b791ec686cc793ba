"""`veertien recognise`: the recogniser and matcher on a recording, for anyone to try."""

from __future__ import annotations

import json
import sys
import wave
from datetime import datetime
from pathlib import Path
from typing import Any

from veertien.errors import InputError
from veertien.routing import CallFacts, DecisionKind, RoutingContext, decide
from veertien.speech.denoise import denoise
from veertien.speech.matcher import NameMatcher, Result, matcher_for_codes
from veertien.speech.phones import PronunciationError
from veertien.speech.policy import Policy, combine
from veertien.speech.pool import hear_all, load
from veertien.speech.recogniser import Context, Engine, resample
from veertien.speech.whisper import ModelError


class RecordingError(InputError):
    """The recording or the number cannot be used; the text says why."""


def read_wav(path: Path) -> tuple[bytes, int]:
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise RecordingError(
                    f"{path}: need mono 16-bit PCM WAV, got "
                    f"{wav.getnchannels()} channel(s) of {8 * wav.getsampwidth()} bit"
                )
            return wav.readframes(wav.getnframes()), wav.getframerate()
    except (wave.Error, EOFError, OSError) as exc:
        raise RecordingError(f"{path}: not a WAV file we can read ({exc})") from None


def matcher_for(ctx: RoutingContext, dialled: str | None, national: bool) -> NameMatcher:
    if national or dialled is None:
        return matcher_for_codes(ctx.directory, ctx.directory.municipalities)
    decision = decide(CallFacts(dialled, datetime.now(ctx.zone)), ctx)
    if decision.kind is DecisionKind.REJECT:
        raise RecordingError(f"{dialled}: {decision.reason}")
    return matcher_for_codes(ctx.directory, decision.named_codes())


def recognise_file(
    ctx: RoutingContext, cache: Path, path: Path, dialled: str | None, national: bool
) -> dict[str, Any]:
    pcm, rate = read_wav(path)
    matcher = matcher_for(ctx, dialled, national)
    names = () if national else sorted({n.text for n in matcher.names if n.kind != "place"})
    context = Context(names, vocabulary=sorted({n.text for n in matcher.names}))
    settings = ctx.settings
    engines = [Engine(e) for e in settings.platform.speech_engines]
    audio = resample(pcm, rate)
    heard = hear_all(load(engines, cache), denoise(audio), context)
    results = {h.engine: matcher.match([(t.text, t.score) for t in h.transcripts]) for h in heard}
    result = combine(results, Policy(**settings.platform.speech_thresholds))
    out = _json(ctx, next((h.transcripts[0].text for h in heard if h.transcripts), ""), result)
    out["engines"] = {
        h.engine.value: {
            "transcript": h.transcripts[0].text if h.transcripts else "",
            "score": h.transcripts[0].score if h.transcripts else 0.0,
            "seconds": round(h.seconds, 3),
        }
        for h in heard
    }
    return out


def _json(ctx: RoutingContext, transcript: str, result: Result) -> dict[str, Any]:
    munis = ctx.directory.municipalities
    return {
        "transcript": transcript,
        "candidates": [
            {
                "code": m.municipality,
                "name": munis[m.municipality].name,
                "said": m.said,
                "matched": m.name,
                "confidence": m.confidence,
            }
            for m in result.matches
        ],
        "action": result.action.value,
    }


def main(
    ctx: RoutingContext,
    cache: Path,
    path: Path,
    *,
    dialled: str | None,
    national: bool,
    as_json: bool,
) -> int:
    try:
        out = recognise_file(ctx, cache, path, dialled, national)
    except (InputError, ModelError, PronunciationError, ImportError) as exc:
        print(f"veertien: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"heard: {out['transcript']!r} → {out['action']}")
    for engine, heard in out["engines"].items():
        print(f"  {engine}: {heard['transcript']!r} ({heard['seconds']:.2f} s)")
    for cand in out["candidates"]:
        print(
            f"  {cand['name']} [{cand['code']}] {cand['confidence']:.2f} "
            f'("{cand["said"]}" ~ {cand["matched"]})'
        )
    return 0
