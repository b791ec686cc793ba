"""The dialogue's media port for one call: prompts out, keys and speech in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from veertien.call.prompts import PromptCache
from veertien.directory.lexicon import MANY
from veertien.ivr.flow import DIGITS
from veertien.ivr.national import POSTCODE_DIGITS
from veertien.ivr.prompts import DEFAULT_LANGUAGE, Piece
from veertien.ivr.runner import Understood
from veertien.learning.examples import Candidate, Turn
from veertien.media.session import RtpSession
from veertien.speech import scoring
from veertien.speech.matcher import (
    DIGIT_WORDS,
    Action,
    Name,
    NameMatcher,
    Result,
    spoken_digits,
    yes_or_no,
)
from veertien.speech.policy import Policy, combine, yes_no
from veertien.speech.pool import Heard, Listener, scored
from veertien.speech.recogniser import Context, from_telephone

log = logging.getLogger("veertien.call")
YES_NO = {"en": ("yes", "no")}  # the words the recogniser listens for; others: ja / nee


class Understanding:
    """Speech for one call: the listener (engines in worker processes, never on the loop), the
    matcher for this call's candidates and the policy that turns what each engine heard into
    accept, confirm or ask again. Without a listener, nothing spoken is understood."""

    def __init__(
        self,
        listener: Listener | None,
        matcher: NameMatcher,
        names: Sequence[str],
        policy: Policy | None = None,
        keep: list[bytes] | None = None,
        *,
        language: str = DEFAULT_LANGUAGE,
        scored: scoring.Policy | None = None,
        narrowed: Callable[[tuple[str, ...]], NameMatcher] | None = None,
        open_lexicon: bool = False,
        turns: list[Turn] | None = None,
    ) -> None:
        self.listener = listener
        self.turns = turns  # each name heard is added here when given (learning examples)
        # national: `names` are only the prompt, the matcher's 6,000 names are shortlisted by
        # the transcription; a spoken postcode counts; `narrowed` gives the matcher for a
        # question that takes only some codes (the provinces of "In welke provincie?")
        self.open = open_lexicon
        self.narrowed = narrowed
        self.language = language
        self.keep = keep  # every utterance is added here when given (audio sampling)
        self.matcher = matcher
        self.names = tuple(names)
        self.vocabulary = () if open_lexicon else tuple(sorted({n.text for n in matcher.names}))
        self.policy = policy or Policy()  # for engines that only transcribe (pocketsphinx)
        self.scored = scored or scoring.Policy()  # for Whisper's scores
        self.answers = 0  # names heard in this call so far (the second on is judged by again())

    async def _hear(
        self, audio8k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        if self.listener is None or not audio8k:
            return []
        if self.keep is not None:
            self.keep.append(audio8k)
        return await self.listener.hear(from_telephone(audio8k), context, names)

    async def _named(self, audio8k: bytes) -> list[Heard]:
        """What the engines heard of a name (one more answer in this call)."""
        self.answers += 1
        context = Context(self.names, self.language, self.vocabulary, open=self.open)
        return await self._hear(audio8k, context, self.matcher.names)

    def _verdict(
        self, found: Heard, policy: scoring.Policy, matcher: NameMatcher | None = None
    ) -> scoring.Verdict:
        """Whisper's scores decided on; the transcription as the worker already matched it."""
        assert found.scores is not None
        similar = scoring.similar_of(found.result) if found.result is not None else None
        return scoring.decide(found.scores, matcher or self.matcher, policy, similar)

    async def _digits(self, audio8k: bytes) -> Understood:
        """A postcode said ("vier vier zes een"), the prompt pulling the transcription towards
        digits: four digits, or nothing understood."""
        said = _said(await self._hear(audio8k, Context(DIGIT_WORDS, self.language)))
        return _postcode(said) or Understood(Action.RETRY, None, said)

    async def _among(self, audio8k: bytes, among: tuple[str, ...]) -> Understood:
        """An answer that can only be one of a few codes: the leader counts when it has at
        least the confirmation probability (nobody confirms a pick from a short list)."""
        assert self.narrowed is not None
        matcher = self.narrowed(among)
        texts = tuple(sorted({n.text for n in matcher.names}))
        heard = await self._hear(audio8k, Context(texts, self.language, texts), matcher.names)
        found = scored(heard)
        if found is not None:
            verdict = self._verdict(found, self.scored, matcher)
            first = verdict.first
            sure = first is not None and verdict.probability >= self.scored.confirm
            code = first.municipality if first is not None and sure else None
            return Understood(Action.ACCEPT if code else Action.RETRY, code, _said(heard))
        best = self._combined(heard, matcher).best
        code = best.municipality if best is not None and best.similarity >= 0.8 else None
        return Understood(Action.ACCEPT if code else Action.RETRY, code, _said(heard))

    async def understand(self, audio8k: bytes, among: tuple[str, ...] = ()) -> Understood:
        if among == (DIGITS,):
            return await self._digits(audio8k)
        if among and self.narrowed is not None:
            return await self._among(audio8k, among)
        heard = await self._named(audio8k)
        said = _said(heard)
        postcode = _postcode(said) if self.open else None
        if postcode is not None:
            log.info("speech: a postcode, %s", postcode.municipality)
            return postcode
        found = scored(heard)
        if found is not None:
            # from the second answer on, the alternative to a question is the keypad
            policy = self.scored if self.answers == 1 else scoring.again(self.scored)
            verdict = self._verdict(found, policy)
            self._turn(heard, found.scores.primed if found.scores else said, verdict)
            first, second = verdict.first, verdict.second
            code = first.municipality if first else None
            other = second.municipality if second and verdict.action is Action.CHOOSE else None
            log.info(
                "speech: %s p=%.2f %s", verdict.action.value, verdict.probability,
                ", ".join(f"{e.municipality}:{e.acoustic:.2f}" for e in verdict.ranked[:3]),
            )  # fmt: skip
            action = verdict.action
            if self.open and action in (Action.ACCEPT, Action.CONFIRM) and first:
                # over 6,000 names every name is confirmed, except a name in several
                # municipalities: the question that narrows it names it
                action = Action.ACCEPT if _narrowed(first, code) else Action.CONFIRM
            return Understood(action, code, said, other)
        result = self._combined(heard)
        best = result.best
        self._turn(heard, said, None, result)
        return Understood(result.action, best.municipality if best else None, _said(heard))

    def _turn(
        self,
        heard: Sequence[Heard],
        said: str,
        verdict: scoring.Verdict | None,
        result: Result | None = None,
    ) -> None:
        """Keep this answer for learning (area calls only: the national lexicon is not yet
        learned from); `said`: the primed transcription, or the first engine's words."""
        if self.turns is None or self.open:
            return
        transcripts = tuple(
            (h.engine.value, t.text, round(t.score, 4)) for h in heard for t in h.transcripts[:3]
        )
        if verdict is not None:
            candidates = tuple(Candidate(e.municipality, e.name, e.acoustic, e.primed)
                               for e in verdict.ranked[:5])  # fmt: skip
            self.turns.append(
                Turn(said, transcripts, candidates, verdict.probability, verdict.action.value)
            )
            return
        assert result is not None
        candidates = tuple(Candidate(m.municipality, m.name, 0.0, m.similarity)
                           for m in result.matches[:5])  # fmt: skip
        confidence = result.best.confidence if result.best else 0.0
        self.turns.append(Turn(said, transcripts, candidates, confidence, result.action.value))

    async def between(self, audio8k: bytes, codes: tuple[str, str]) -> str | None:
        """Which of the two the caller named again: Whisper's verdict when one of the two leads
        it with at least the confirmation probability."""
        heard = await self._named(audio8k)
        found = scored(heard)
        if found is None:
            best = self._combined(heard).best
            return best.municipality if best and best.municipality in codes else None
        # a pick from two is never judged looser: nobody confirms it
        return scoring.between(self._verdict(found, self.scored), codes, self.scored)

    async def yes_no(self, audio8k: bytes) -> bool | None:
        words = YES_NO.get(self.language, ("ja", "nee"))
        heard = await self._hear(audio8k, Context(words, self.language))
        return answered(heard)

    def _combined(self, heard: Sequence[Heard], matcher: NameMatcher | None = None) -> Result:
        """The transcript policy over what each engine heard (engines without scores)."""
        names = matcher or self.matcher
        results = {
            h.engine: h.result or names.match([(t.text, t.score) for t in h.transcripts])
            for h in heard
        }
        return combine(results, self.policy, names.learned)


def _postcode(said: str) -> Understood | None:
    """Four digits said: a postcode, to be confirmed (digits are easily misheard)."""
    digits = spoken_digits(said)
    return Understood(Action.CONFIRM, digits, said) if len(digits) == POSTCODE_DIGITS else None


def _narrowed(first: scoring.Evidence, code: str | None) -> bool:
    """Whether a national verdict goes on without "Bedoelt u ...?": only a name in several
    municipalities, whose narrowing question names it ("Zevenhuizen ligt in meer dan één
    provincie"; a caller who said something else does not answer it, and is asked the
    postcode). Every other name is confirmed for now: the calibration was fitted on one area's
    candidates, not on 6,000 names, and on the synthetic corpus the open lexicon gave
    sure-looking wrong leaders ("Capelle" → Kavelingen, p 0.99; docs/national.md)."""
    return bool(code and code.startswith(MANY)) and first.municipality == code


def answered(heard: Sequence[Heard]) -> bool | None:
    """Yes, no or unclear, from what the engines heard (speech.policy.yes_no)."""
    return yes_no(
        {h.engine: yes_or_no(h.transcripts[0].text) if h.transcripts else None for h in heard}
    )


def _said(heard: Sequence[Heard]) -> str:
    """The words for the call record: the first engine's that heard anything."""
    return next((h.transcripts[0].text for h in heard if h.transcripts), "")


class RtpIvrPort:
    """The IVR's media port on an RTP session."""

    def __init__(
        self,
        session: RtpSession,
        prompts: PromptCache,
        understanding: Understanding | None = None,
        language: str = DEFAULT_LANGUAGE,
        area: str = "",
    ) -> None:
        self.session = session
        self.prompts = prompts
        self.understanding = understanding
        self.language = language  # of the prompts' voice
        self.area = area  # whose recordings are played (call.prompts)

    async def say(
        self,
        text: str,
        barge_in: bool,
        language: str = DEFAULT_LANGUAGE,
        pieces: tuple[Piece, ...] = (),
    ) -> bool:
        law = self.session.law
        audio = await self.prompts.audio(text, law, language, pieces, self.area)
        return await self.session.play(audio, barge_in)

    def use_language(self, language: str) -> None:
        self.language = language
        if self.understanding is not None:
            self.understanding.language = language

    async def key(self, timeout: float) -> str | None:
        return await self.session.key(timeout)

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        return await self.session.answer(timeout, speech and self.understanding is not None)

    async def understand(self, audio: bytes, among: tuple[str, ...] = ()) -> Understood:
        if self.understanding is None:
            return Understood(Action.RETRY, None, "")
        return await self.understanding.understand(audio, among)

    async def yes_no(self, audio: bytes) -> bool | None:
        return None if self.understanding is None else await self.understanding.yes_no(audio)

    async def between(self, audio: bytes, codes: tuple[str, str]) -> str | None:
        if self.understanding is None:
            return None
        return await self.understanding.between(audio, codes)
