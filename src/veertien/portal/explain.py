"""What a routing decision means, in Dutch, for the staff who read the portal (the decision's
own `reason` is English, for logs)."""

from __future__ import annotations

from collections.abc import Mapping

from veertien.routing import DecisionKind, RoutingDecision, Rule

STATUS_TEXT = {  # the connection statuses, as the portal explains them
    "active": "aangesloten: bereikbaar via 14 + netnummer en in het keuzemenu",
    "technical": (
        "technisch aangesloten: het nummer werkt en de gemeente staat in het keuzemenu, maar "
        "de gemeente maakt 14 + netnummer nog niet bekend (proefperiode)"
    ),
    "not_connected": ("niet aangesloten: bellers horen het gewone telefoonnummer van de gemeente"),
}


RULE_TEXT = {  # {name}: the municipality; {where}: " naar <target>"; {offered}: menu size
    Rule.SHARED_AREA: "Keuzemenu: {offered} gemeenten delen dit netnummer; zonder keuze{default}",
    Rule.SINGLE_MUNICIPALITY: "Direct{where}: {name} is de enige deelnemende gemeente",
    Rule.SELECTED: "Direct{where} ({name})",
    Rule.NATIONAL: "Landelijk nummer: de beller noemt gemeente, woonplaats of postcode",
    Rule.NOT_CONNECTED: "{name} is niet aangesloten: de beller hoort het gewone nummer",
    Rule.NO_DESTINATION: (
        "{name} heeft geen bestemming: de beller hoort een melding (480). Stel er een in."
    ),
    Rule.CALAMITY: "Calamiteit bij {name}: bellers gaan naar de calamiteitenlijn",
    Rule.CLOSED: "{name} is nu gesloten: de beller hoort de melding of gaat{where}",
    Rule.NO_MUNICIPALITY: "Geen gemeente in de gemeentelijst: de beller krijgt 404",
    Rule.UNKNOWN_NUMBER: "Geen 14-nummer dat wij kennen: de beller krijgt 404",
}


def explain(decision: RoutingDecision, names: Mapping[str, str]) -> str:
    """'Keuzemenu: 5 gemeenten delen dit netnummer; zonder keuze naar ...' and the like."""
    text = RULE_TEXT.get(decision.rule)
    if text is None:
        return "Geweigerd (404)" if decision.kind is DecisionKind.REJECT else decision.kind.value
    where = f" naar {decision.target}" if decision.target else ""
    return text.format(
        name=names.get(decision.municipality or "", decision.municipality or ""),
        where=where,
        default=where or " een melding (geen standaardbestemming)",
        offered=len([c for c in decision.candidates if c.in_menu]),
    )


__all__ = ["RULE_TEXT", "STATUS_TEXT", "explain"]
