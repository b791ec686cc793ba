"""Which of the languages the settings offer in an area a call can be spoken in.

A language with a voice (Dutch; English: espeak-ng's) always can. One without (Frisian) can
once the municipalities recorded every sentence a caller who chose it must hear in that area
(`ivr.recorded.area_sentences`, uploaded at /opnames); until then it is not offered, and the
log says so once per area. On the national number only voiced languages are offered (its
sentences are not recorded per area).
"""

from __future__ import annotations

import logging

from veertien.call.prompts import PromptCache
from veertien.call.state import DialogueCall
from veertien.ivr.recorded import area_sentences
from veertien.routing import Scope, decide_municipality

log = logging.getLogger("veertien.call")


class Speakable:
    """The offer (language → key) for a call's area that can be spoken."""

    def __init__(self, prompts: PromptCache) -> None:
        self.prompts = prompts
        self.said: set[tuple[str, str]] = set()  # (language, area) said in the log

    def offer(self, call: DialogueCall, *, speech: bool) -> dict[str, str]:
        offer = call.ctx.settings.languages.for_area(call.decision.area_code)
        return {
            language: key
            for language, key in offer.items()
            if self.prompts.speaks(language) or self._recorded(call, language, key, speech=speech)
        }

    def _recorded(self, call: DialogueCall, language: str, key: str, *, speech: bool) -> bool:
        area = call.decision.area_code or "national"
        missing: list[str] = ["(national number)"]
        if call.decision.scope is not Scope.NATIONAL:
            sentences = area_sentences(
                call.decision, language,
                lambda code: decide_municipality(code, call.facts, call.ctx), speech=speech,
                key=key,
            )  # fmt: skip
            missing = self.prompts.missing(area, language, sentences.required)
        if missing and (language, area) not in self.said:
            self.said.add((language, area))
            log.warning(
                "language %s is offered in area %s but cannot be spoken there (no voice, and "
                "%d sentences not recorded, first %r): not offered to callers",
                language, area, len(missing), missing[0],
            )  # fmt: skip
        return not missing
