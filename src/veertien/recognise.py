"""`veertien recognise`: the recogniser and matcher on a recording, for anyone to try."""

from __future__ import annotations

import json
import struct
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from veertien.directory.lexicon import lexicon_of
from veertien.errors import InputError
from veertien.media.g711 import Law, decode
from veertien.routing import CallFacts, DecisionKind, RoutingContext
from veertien.routing import decide as route
from veertien.speech.denoise import denoise
from veertien.speech.matcher import NameMatcher, Result, matcher_for_codes
from veertien.speech.national import national_matcher
from veertien.speech.phones import PronunciationError
from veertien.speech.policy import combine, transcript_policy
from veertien.speech.pool import hear_all, load, scored
from veertien.speech.recogniser import Context, Engine, Scores, resample
from veertien.speech.scoring import Verdict, decide, policy_from, similar_of
from veertien.speech.whisper import ModelError


class RecordingError(InputError):
    """The recording or the number cannot be used; the text says why."""


MAX_RECORDING = 64 * 1024 * 1024  # bytes; an utterance is a few seconds
_G711 = {6: Law.PCMA, 7: Law.PCMU}  # WAVE format tags of A-law and µ-law


def read_wav(path: Path) -> tuple[bytes, int]:
    """16-bit mono PCM and its rate from a WAV file: 16-bit PCM, or 8-bit G.711 A-law or
    µ-law (the phone's own format, as `sox -e mu-law` or a call recording writes it)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RECORDING + 1)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_RECORDING:
        raise RecordingError(f"{path}: larger than {MAX_RECORDING // 2**20} MB")
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise RecordingError(f"{path}: not a WAV file (no RIFF/WAVE header)")
    fmt, data = _chunks(path, raw)
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag follows
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels == 1 and tag == 1 and bits == 16:
        return data[: len(data) - len(data) % 2], rate
    if channels == 1 and tag in _G711 and bits == 8:
        return decode(data, _G711[tag]), rate
    raise RecordingError(
        f"{path}: need mono 16-bit PCM or 8-bit A-law/µ-law WAV, got {channels} channel(s) "
        f"of {bits} bit, format {tag}"
    )


def _chunks(path: Path, raw: bytes) -> tuple[bytes, bytes]:
    """The fmt and data chunks of a RIFF/WAVE file."""
    found: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw) and len(found) < 2:
        name, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        if name in (b"fmt ", b"data"):
            found[name] = raw[pos + 8 : pos + 8 + size]
        pos += 8 + size + size % 2
    if len(found.get(b"fmt ", b"")) < 16 or b"data" not in found:
        raise RecordingError(f"{path}: a WAV file without a format or data chunk")
    return found[b"fmt "], found[b"data"]


def matcher_for(ctx: RoutingContext, dialled: str | None, national: bool) -> NameMatcher:
    if national or dialled is None:  # as the national dialogue hears: the whole lexicon
        return national_matcher(lexicon_of(ctx.directory))
    decision = route(CallFacts(dialled, datetime.now(ctx.zone)), ctx)
    if decision.kind is DecisionKind.REJECT:
        raise RecordingError(f"{dialled}: {decision.reason}")
    return matcher_for_codes(ctx.directory, decision.named_codes())


def recognise_file(
    ctx: RoutingContext, cache: Path, path: Path, dialled: str | None, national: bool
) -> dict[str, Any]:
    pcm, rate = read_wav(path)
    matcher = matcher_for(ctx, dialled, national)
    if national or dialled is None:  # as the dialogue hears a national call (unknown caller)
        context = Context(lexicon_of(ctx.directory).likely(None), open=True)
    else:
        names = sorted({n.text for n in matcher.names if n.kind != "place"})
        context = Context(names, vocabulary=sorted({n.text for n in matcher.names}))
    settings = ctx.settings
    engines = [Engine(e) for e in settings.platform.speech_engines]
    audio = resample(pcm, rate)
    heard = hear_all(load(engines, cache), denoise(audio), context, matcher)
    said = next((h.transcripts[0].text for h in heard if h.transcripts), "")
    found = scored(heard)
    thresholds = settings.platform.speech_thresholds
    if found is not None and found.scores is not None:
        similar = similar_of(found.result) if found.result is not None else None
        verdict = decide(found.scores, matcher, policy_from(thresholds), similar)
        out = _verdict_json(ctx, said, found.scores, verdict)
    else:
        results = {h.engine: h.result or matcher.match([]) for h in heard}
        out = _json(ctx, said, combine(results, transcript_policy(thresholds)))
    out["engines"] = {
        h.engine.value: {
            "transcript": h.transcripts[0].text if h.transcripts else "",
            "score": h.transcripts[0].score if h.transcripts else 0.0,
            "seconds": round(h.seconds, 3),
        }
        for h in heard
    }
    return out


def _name(ctx: RoutingContext, code: str) -> str:
    """A municipality's name, or what a code of the national lexicon stands for."""
    muni = ctx.directory.municipalities.get(code)
    if muni is not None:
        return muni.name
    meaning = lexicon_of(ctx.directory).meaning(code)
    return meaning.name if meaning is not None else code


def _verdict_json(
    ctx: RoutingContext, transcript: str, scores: Scores, verdict: Verdict
) -> dict[str, Any]:
    return {
        "transcript": transcript,
        "no_speech": round(scores.no_speech, 3),
        "probability": verdict.probability,
        "candidates": [
            {
                "code": e.municipality,
                "name": _name(ctx, e.municipality),
                "said": transcript,
                "matched": e.name,
                "confidence": round(e.acoustic, 3),
                "acoustic": round(e.acoustic, 3),
                "primed": e.primed,
            }
            for e in verdict.ranked[:5]
        ],
        "action": verdict.action.value,
    }


def _json(ctx: RoutingContext, transcript: str, result: Result) -> dict[str, Any]:
    return {
        "transcript": transcript,
        "candidates": [
            {
                "code": m.municipality,
                "name": _name(ctx, m.municipality),
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
