"""A call to the national number: its dialogue, resolver and speech, built for one call.

The lexicon (directory.lexicon) and the matcher over its 6,000 names (speech.national) are built
once per directory version and shared by every call; a call adds only what it knows of the
caller (the municipalities of its own area code, from a geographic caller number: they prime
the transcription and come first in "In welke provincie?").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from veertien.call.port import Understanding
from veertien.call.state import DialogueCall
from veertien.directory.lexicon import lexicon_of
from veertien.ivr.flow import Flow
from veertien.ivr.national import NationalResolver, national_flow
from veertien.ivr.runner import IvrEvent
from veertien.routing import decide_municipality, decide_organisation
from veertien.speech.national import among_matcher, national_matcher
from veertien.speech.policy import transcript_policy
from veertien.speech.pool import Listener
from veertien.speech.scoring import policy_from


def own_area(call: DialogueCall) -> tuple[str, ...]:
    """The municipalities of the caller's own area code (none for an unknown caller)."""
    area = call.decision.caller_area
    if area is None:
        return ()
    return tuple(m.municipality for m in call.ctx.directory.members(area))


def national_dialogue(
    call: DialogueCall,
    events: Sequence[IvrEvent],
    *,
    speech: bool,
    languages: Mapping[str, str] | None = None,
) -> tuple[Flow, NationalResolver]:
    """The national dialogue for this call; `languages` (key → language) offered by key."""
    timeout = call.ctx.settings.platform.key_timeout_s
    resolver = NationalResolver(
        call.decision,
        lexicon_of(call.ctx.directory),
        lambda code: decide_municipality(code, call.facts, call.ctx),
        lambda code: decide_organisation(code, call.ctx),
        events,
        own=own_area(call),
        timeout_s=timeout,
        speech=speech,
    )
    return national_flow(timeout, speech=speech, languages=languages), resolver


def national_understanding(call: DialogueCall, listener: Listener | None) -> Understanding:
    """Speech over the whole lexicon: the transcription (primed with the caller's own area's
    names) shortlists the names scored against the audio."""
    lexicon = lexicon_of(call.ctx.directory)
    matcher = national_matcher(lexicon)
    names = lexicon.likely(call.decision.caller_area)
    thresholds = call.ctx.settings.platform.speech_thresholds

    return Understanding(
        listener, matcher, names, transcript_policy(thresholds), keep=call.audio,
        scored=policy_from(thresholds), narrowed=partial(among_matcher, lexicon),
        open_lexicon=True,
    )  # fmt: skip
