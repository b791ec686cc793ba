"""pocketsphinx (BSD) with a per-call grammar of Dutch pronunciations.

There is no Dutch acoustic model in any registry package, so the English one listens for Dutch
names spelled in its own phones (`speech.phones`): the grammar allows only this call's names,
with a few carrier words around them ("gemeente", "ik wil graag"). It is fast (tens of
milliseconds) and says nothing rather than something wrong when it is lost: an empty answer is
common, a wrong one rare. Its confidence is the name's posterior probability in the lattice.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from veertien.directory.model import normalise_name
from veertien.speech.phones import pronunciations
from veertien.speech.recogniser import Context, Transcript

log = logging.getLogger("veertien.speech")

CARRIERS = ("ik", "wil", "graag", "de", "gemeente", "naar", "met", "voor", "bellen", "alstublieft")
_NOISE_PEAK = 3  # a telephone line is never digitally silent; the front end needs some energy
_MAX_GRAMMARS = 512


def token(name: str) -> str:
    """The dictionary word for a name: folded, one word ("olst_wijhe")."""
    return normalise_name(name).replace(" ", "_") or "_"


def grammar(tokens: Sequence[str]) -> str:
    carriers = " | ".join(CARRIERS)
    names = " | ".join(sorted(set(tokens)))
    return (
        "#JSGF V1.0;\ngrammar names;\n"
        f"public <said> = <carrier>* ( {names} ) <carrier>*;\n"
        f"<carrier> = {carriers};\n"
    )


def with_line_noise(pcm16k: bytes) -> bytes:
    """The audio with a faint, fixed noise floor (the same audio always gets the same noise)."""
    import numpy as np  # noqa: PLC0415 (numpy comes with the speech extra)

    samples = np.frombuffer(pcm16k[: len(pcm16k) - len(pcm16k) % 2], dtype="<i2")
    noise = np.random.default_rng(0).integers(-_NOISE_PEAK, _NOISE_PEAK + 1, samples.size)
    mixed = np.clip(samples.astype(np.int32) + noise, -32768, 32767)
    return bytes(mixed.astype("<i2").tobytes())


class SphinxRecogniser:
    """One decoder per process; grammars are built per set of names and kept (blocking: run it in
    a worker, not on the event loop)."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder, get_model_path  # noqa: PLC0415 (optional dependency)

        self._words: set[str] = set()
        self._searches: dict[tuple[str, ...], str] = {}
        with tempfile.TemporaryDirectory() as folder:
            lexicon = Path(folder) / "carriers.dict"
            lexicon.write_text(self._entries(CARRIERS))
            self.decoder: Any = Decoder(
                hmm=get_model_path("en-us/en-us"),
                dict=str(lexicon),
                lm=None,
                samprate=16000,
                loglevel="FATAL",
            )

    def _entries(self, names: Sequence[str]) -> str:
        lines = []
        for name, phones in pronunciations(names).items():
            word = token(name)
            if word not in self._words:
                self._words.add(word)
                lines.append(f"{word} {' '.join(phones)}\n")
        return "".join(lines)

    def _search(self, names: Sequence[str]) -> str | None:
        key = tuple(sorted(set(names)))
        found = self._searches.get(key)
        if found is not None or not key:
            return found
        new = [n for n in key if token(n) not in self._words]
        if new:
            entries = self._entries(new).splitlines()
            for i, entry in enumerate(entries):
                word, phones = entry.split(" ", 1)
                self.decoder.add_word(word, phones, i == len(entries) - 1)
        tokens = [token(n) for n in key if token(n) in self._words]
        if not tokens:
            return None
        if len(self._searches) >= _MAX_GRAMMARS:
            self._searches.clear()
        name = f"g{len(self._searches)}_{abs(hash(key))}"
        self.decoder.add_jsgf_string(name, grammar(tokens))
        self._searches[key] = name
        return name

    def recognise(self, pcm16k: bytes, context: Context) -> list[Transcript]:
        search = self._search(context.allowed)
        if search is None or not pcm16k:
            return []
        self.decoder.activate_search(search)
        self.decoder.start_utt()
        self.decoder.process_raw(with_line_noise(pcm16k), full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return []
        said = [s for s in self.decoder.seg() if s.word not in CARRIERS and s.word[0] not in "<["]
        if not said:
            return []
        text = " ".join(s.word.replace("_", " ") for s in said)
        return [Transcript(text, round(min(s.prob for s in said), 3))]
