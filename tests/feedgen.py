"""Builds realistic NATO-style RSS 2.0 and Atom feeds for end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape


@dataclass(frozen=True)
class Item:
    guid: str | None
    title: str
    link: str | None
    summary: str  # HTML
    published: str  # RFC 822 for RSS, ISO 8601 for Atom
    updated: str | None = None  # ISO 8601: <atom:updated> in RSS, <updated> in Atom

    def but(self, **changes: object) -> Item:
        return replace(self, **changes)  # type: ignore[arg-type]


SEED = Item(
    guid="news_225706_fr",
    title="Entretiens de travail entre les États-majors militaires de l’OTAN et de la "
          "République de Corée sur la coopération",
    link="https://www.nato.int/cps/fr/natohq/news_225706.htm?selectedLocale=fr",
    summary="<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre "
            "d’entretiens de travail tenus au siège de l’Organisation, à Bruxelles. Il a "
            "principalement été question du partenariat OTAN-République de Corée actuel, du "
            "renforcement de la résilience et des possibilités futures de coopération.</p>",
    published="Tue, 14 May 2024 10:00:00 +0200",
    updated="2024-05-14T10:00:00+02:00",
)

SEED_REVISED = SEED.but(
    summary="<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre "
            "d’entretiens de travail tenus au siège de l’Organisation, à Bruxelles. Les "
            "discussions ont porté sur le partenariat OTAN-République de Corée, le "
            "renforcement de la résilience et la lutte contre les menaces hybrides.</p>",
    updated="2024-05-23T07:58:00+02:00",
)

LATVIA = Item(
    guid="news_225690_fr",
    title="Le secrétaire général de l’OTAN s’entretient avec le ministre letton des Affaires "
          "étrangères",
    link="https://www.nato.int/cps/fr/natohq/news_225690.htm?selectedLocale=fr",
    summary="<p>Ils ont évoqué le <b>soutien à l’Ukraine</b> et la préparation du sommet de "
            "Washington.</p>",
    published="Mon, 13 May 2024 15:30:00 +0200",
)

INDO_PACIFIC = Item(
    guid="news_225801_fr",
    title="L’OTAN et ses partenaires de l’Indo-Pacifique parlent sécurité maritime",
    link="https://www.nato.int/cps/fr/natohq/news_225801.htm?selectedLocale=fr",
    summary="<p>Des représentants de l’OTAN et de ses partenaires de l’Indo-Pacifique – "
            "Australie, Japon, Nouvelle-Zélande et République de Corée – se sont réunis à "
            "Bruxelles.</p>",
    published="Fri, 24 May 2024 09:15:00 +0200",
)

STEADFAST = Item(
    guid="news_225612_fr",
    title="Exercice Steadfast Defender 2024 : fin de la phase maritime",
    link="https://www.nato.int/cps/fr/natohq/news_225612.htm?selectedLocale=fr",
    summary="<p>La phase maritime de l’exercice s’est achevée en mer du Nord. Vu 1200 fois</p>",
    published="Fri, 10 May 2024 09:00:00 +0200",
)


def rss(items: list[Item], *, title: str = "OTAN - Actualités",
        build_date: str = "Fri, 24 May 2024 09:30:00 +0200") -> bytes:
    """An RSS 2.0 document (with the Atom namespace for atom:updated)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">', "<channel>",
             f"<title>{escape(title)}</title>", "<link>https://www.nato.int/</link>",
             "<description>Actualités</description>",
             f"<lastBuildDate>{build_date}</lastBuildDate>"]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        parts.append(f"<pubDate>{item.published}</pubDate>")
        if item.updated:
            parts.append(f"<atom:updated>{item.updated}</atom:updated>")
        parts.append(f"<description><![CDATA[{item.summary}]]></description>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return "\n".join(parts).encode()
