"""The corpus's feeds: each publisher's specification, its entries, and which entries the
scripted edits touch (its roles). Deterministic: every choice comes from the feed's name."""

from __future__ import annotations

import html
import random
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from corpus_model import Entry, Spec
from corpus_texts import LANGUAGES, NAMES, REPLIES, STORIES, Story

UTF8 = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=utf-8"
CP1252 = ("cp1252", "windows-1252")
LATIN1 = ("latin-1", "ISO-8859-1")

SPECS: tuple[Spec, ...] = (
    # -- French ---------------------------------------------------------------------------
    Spec("fr-otan-actualites", "fr", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Alliance atlantique - Actualités", "https://www.alliance-atlantique.example/fr/",
         "Les dernières actualités de l’Alliance", 2, 24, content=True, reencode=CP1252,
         notes="NATO-style: opaque guids, escaped HTML summary, CDATA content:encoded"),
    Spec("fr-ministere-armees", "fr", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "Ministère des Armées du Nord - Communiqués", "https://www.armees-nord.example/",
         "Communiqués et actualités", 2, 20, style="escaped", content=True,
         reencode=CP1252, notes="Atom 1.0, tag: ids, html summary and content"),
    Spec("fr-blog-defense", "fr", "rss20", "blog", "guid", "utf-8", "UTF-8",
         "application/rss+xml; charset=UTF-8", "Carnets de défense",
         "https://carnets-defense.example/", "Analyses et chroniques stratégiques", 2, 16,
         content=True, excerpt=True, updated_element=False, generator="https://wordpress.org/?v=6.5.3",
         reencode=CP1252, notes="WordPress: ?p= guids, excerpt [&#8230;], content:encoded"),
    Spec("fr-quotidien-sans-guid", "fr", "rss20", "news", "link", "utf-8", "UTF-8",
         "text/xml; charset=utf-8", "Le Quotidien de l’Est - Monde",
         "https://www.quotidien-est.example/monde/", "Toute l’actualité internationale", 2,
         22, style="cdata", updated_element=False, tracking=True, reencode=CP1252,
         notes="no guids (keyed by link), utm_* parameters, CDATA descriptions"),
    Spec("fr-commentaires-blog", "fr", "rss20", "comments", "guid", "utf-8", "UTF-8", UTF8,
         "Commentaires pour Carnets de défense", "https://carnets-defense.example/",
         "Les derniers commentaires", 2, 14, content=True, updated_element=False,
         generator="https://wordpress.org/?v=6.5.3", reencode=CP1252,
         notes="WordPress comment feed: guids ?p=N#comment-M"),
    Spec("fr-commentaires-sans-guid", "fr", "rss20", "comments", "link", "utf-8", "UTF-8",
         "text/xml", "Réactions - Le Quotidien de l’Est",
         "https://www.quotidien-est.example/", "Les réactions de nos lecteurs", 2, 15,
         updated_element=False, reencode=CP1252,
         notes="comment feed without guids: links differ only by #comment-N"),
    Spec("fr-latin1", "fr", "rss20", "news", "guid", "latin-1", "ISO-8859-1",
         "application/rss+xml; charset=ISO-8859-1", "La Gazette des Ardennes - Défense",
         "https://www.gazette-ardennes.example/", "Défense et sécurité", 1, 12,
         updated_element=False, stray="utf8-entry", reencode=("utf-8", "UTF-8"),
         notes="ISO-8859-1 bytes and declaration (no ’, œ: the CMS writes ' and oe)"),
    Spec("fr-windows-1252", "fr", "rss20", "news", "guid", "cp1252", "windows-1252",
         "text/xml; charset=windows-1252", "Revue Défense & Sécurité",
         "https://www.revue-defsec.example/", "Les brèves de la rédaction", 1, 14,
         style="cdata", stray="utf8-entry", reencode=("utf-8", "UTF-8"),
         notes="windows-1252: ’ « » œ … as single bytes"),
    Spec("fr-rss091", "fr", "rss091", "news", "link", "latin-1", "ISO-8859-1",
         "text/xml", "Bulletin de l'Institut", "https://www.institut-strategie.example/",
         "Bulletin d'information", 1, 10, doctype=True, style="plain", updated_element=False,
         stray="utf8-entry", reencode=("utf-8", "UTF-8"),
         notes="RSS 0.91 with the Netscape DOCTYPE, no dates, no guids"),
    Spec("fr-rss10-rdf", "fr", "rss10", "news", "guid", "utf-8", "utf-8",
         "application/rdf+xml; charset=utf-8", "Observatoire de la sécurité",
         "https://www.observatoire-secu.example/", "Veille et analyses", 2, 12,
         content=True, reencode=CP1252, notes="RSS 1.0: rdf:about, dc:date, dcterms:modified"),
    Spec("fr-atom03", "fr", "atom03", "news", "guid", "utf-8", "utf-8",
         "application/atom+xml", "Le Fil Stratégique", "https://fil-strategique.example/",
         "Le fil des publications", 2, 10, content=True, reencode=CP1252,
         notes="Atom 0.3: issued/modified, mode=escaped"),
    Spec("fr-entete-latin1", "fr", "rss20", "news", "guid", "utf-8", "UTF-8",
         "text/xml; charset=ISO-8859-1", "Agence Info Sécurité",
         "https://www.agence-infosecu.example/", "Dépêches", 2, 18, reencode=CP1252,
         notes="HTTP header says ISO-8859-1, declaration and bytes are UTF-8"),
    Spec("fr-declare-latin1", "fr", "rss20", "news", "link", "utf-8", "ISO-8859-1",
         "application/rss+xml; charset=utf-8", "Radio Frontières - Infos",
         "https://www.radio-frontieres.example/", "Le journal", 2, 14, updated_element=False,
         reencode=CP1252, notes="declaration says ISO-8859-1; header and bytes say UTF-8"),
    Spec("fr-bom", "fr", "rss20", "news", "guid", "utf-8", "utf-8", UTF8,
         "Région Grand Est - Sécurité civile", "https://www.securite-civile-est.example/",
         "Communiqués", 2, 12, bom=True, reencode=CP1252, notes="UTF-8 with a byte order mark"),
    Spec("fr-podcast", "fr", "rss20", "podcast", "guid", "utf-8", "UTF-8", UTF8,
         "Le Podcast de la Défense", "https://podcast-defense.example/",
         "Chaque semaine, un entretien", 2, 10, style="cdata", updated_element=False,
         reencode=CP1252, notes="iTunes podcast: enclosures, itunes:duration, UUID guids"),
    Spec("fr-forum", "fr", "atom10", "forum", "guid", "utf-8", "utf-8", ATOM,
         "Forum Défense • Actualités internationales", "https://forum-defense.example/",
         "Les derniers messages", 2, 16, style="escaped", content=True, updated_element=False,
         reencode=CP1252, notes="phpBB-like Atom: viewtopic.php?p=N#pN ids, repeated titles"),
    Spec("fr-xml-base", "fr", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "Délégation permanente - Actualités", "https://www.delegation-permanente.example/fr/",
         "Actualités de la délégation", 2, 12, style="xhtml",
         xml_base="https://www.delegation-permanente.example/fr/", reencode=CP1252,
         notes="Atom with xml:base: relative links; xhtml summaries"),
    Spec("fr-avis-navigation", "fr", "rss20", "notices", "keyless", "utf-8", "UTF-8", UTF8,
         "Préfecture maritime - Avis urgents", "https://www.premar-nord.example/",
         "Avis urgents aux navigateurs", 2, 10, updated_element=False, reencode=CP1252,
         notes="entries with neither guid nor link (title + date identity)"),
    # -- English --------------------------------------------------------------------------
    Spec("en-alliance-news", "en", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Atlantic Alliance - News", "https://www.atlantic-alliance.example/en/",
         "Latest news from the Alliance", 1, 26, content=True, reencode=CP1252,
         notes="NATO-style English: opaque guids, Updated: lines"),
    Spec("en-defence-ministry", "en", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "Ministry of Defence of Northland", "https://www.defence-northland.example/",
         "News and announcements", 1, 20, style="escaped", content=True, reencode=CP1252,
         notes="Atom 1.0 with urn:uuid ids"),
    Spec("en-wordpress-blog", "en", "rss20", "blog", "guid", "utf-8", "UTF-8", UTF8,
         "War on the Rocks Café", "https://rocks-cafe.example/", "Strategy, served daily", 0,
         18, content=True, excerpt=True, updated_element=False,
         generator="https://wordpress.org/?v=6.4.2", reencode=("ascii", "US-ASCII"),
         notes="WordPress with 'Continue reading →' excerpts"),
    Spec("en-newswire-newline", "en", "rss20", "news", "link", "utf-8", "UTF-8",
         "application/xml", "Northern Newswire - World", "https://www.northern-newswire.example/",
         "World news", -4, 20, style="cdata", leading="\n", updated_element=False,
         reencode=CP1252, notes="a newline before <?xml, no guids"),
    Spec("en-comments", "en", "rss20", "comments", "guid", "utf-8", "UTF-8", UTF8,
         "Comments on: War on the Rocks Café", "https://rocks-cafe.example/",
         "Latest comments", 0, 12, content=True, updated_element=False, reencode=CP1252,
         notes="WordPress comment feed with guids"),
    Spec("en-comments-noguid", "en", "rss20", "comments", "link", "utf-8", "UTF-8", "text/xml",
         "Reader comments - Northern Newswire", "https://www.northern-newswire.example/",
         "What readers say", -4, 14, updated_element=False, reencode=CP1252,
         notes="comment feed without guids: links differ only by #comment-N"),
    Spec("en-forum", "en", "rss20", "forum", "guid", "utf-8", "UTF-8", UTF8,
         "Defence Forum - Latest posts", "https://forum.defence-talk.example/",
         "Latest posts", 0, 18, content=False, updated_element=False, reencode=CP1252,
         notes="Discourse-like: one entry per post, guids forum-post-N"),
    Spec("en-podcast", "en", "rss20", "podcast", "guid", "utf-8", "UTF-8", UTF8,
         "The Alliance Podcast", "https://podcast.atlantic-alliance.example/",
         "Conversations on security", 1, 9, style="cdata", updated_element=False,
         reencode=CP1252, notes="podcast with enclosures"),
    Spec("en-rss092", "en", "rss092", "blog", "link", "utf-8", None, "text/xml",
         "Old Soldier's Notebook", "http://notebook.old-soldier.example/",
         "A weblog since 1999", 0, 10, updated_element=False, reencode=CP1252,
         notes="RSS 0.92: no guid, no dates, two description-only items"),
    Spec("en-rss10-rdf", "en", "rss10", "news", "guid", "utf-8", "utf-8",
         "application/rdf+xml", "Security Studies Digest",
         "https://digest.security-studies.example/", "Weekly digest", 0, 12, content=True,
         reencode=CP1252, notes="RSS 1.0 with content:encoded"),
    Spec("en-atom03", "en", "atom03", "news", "guid", "utf-8", "utf-8",
         "application/atom+xml", "Think Tank Notes", "https://notes.thinktank.example/",
         "Notes and papers", -5, 10, content=True, reencode=CP1252, notes="Atom 0.3"),
    Spec("en-status-notices", "en", "rss20", "notices", "mixed", "utf-8", "UTF-8", UTF8,
         "Harbour Authority - Notices", "https://www.harbour-authority.example/",
         "Notices to mariners", 0, 12, updated_element=False, reencode=CP1252,
         notes="some entries have neither guid nor link"),
    Spec("en-header-utf8-latin1", "en", "rss20", "news", "guid", "latin-1", "ISO-8859-1",
         "application/rss+xml; charset=utf-8", "Café Politique Weekly",
         "https://www.cafe-politique.example/", "Weekly politics", 1, 12,
         updated_element=False, stray="utf8-entry", reencode=("utf-8", "UTF-8"),
         notes="header says UTF-8, declaration and bytes ISO-8859-1"),
    # -- German, Spanish, Polish, Romanian --------------------------------------------------
    Spec("de-bundeswehr", "de", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Streitkräfte Aktuell", "https://www.streitkraefte-aktuell.example/",
         "Nachrichten aus der Truppe", 2, 12, content=True, reencode=CP1252,
         notes="German: „…“, ß, Aktualisiert am"),
    Spec("de-latin9", "de", "rss20", "news", "link", "iso8859-15", "ISO-8859-15",
         "application/rss+xml; charset=ISO-8859-15", "Wehrtechnik Nachrichten",
         "https://www.wehrtechnik-news.example/", "Nachrichten", 2, 10, updated_element=False,
         stray="utf8-entry", reencode=("utf-8", "UTF-8"), notes="ISO-8859-15, no guids"),
    Spec("de-header-1252", "de", "atom10", "news", "guid", "utf-8", "utf-8",
         "application/atom+xml; charset=windows-1252", "Sicherheitspolitik Blog",
         "https://sicherheitspolitik.example/", "Analysen", 2, 10, style="escaped",
         reencode=CP1252, notes="header says windows-1252, document is UTF-8"),
    Spec("es-defensa", "es", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Defensa al Día", "https://www.defensa-aldia.example/", "Noticias de defensa", 2, 12,
         content=True, reencode=LATIN1, stray="latin1-byte",
         notes="Spanish: ¿ ¡ ñ «»; its stray byte is an ISO-8859-1 á"),
    Spec("es-atom", "es", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "Revista Seguridad", "https://revista-seguridad.example/", "Artículos", 1, 10,
         style="plain", reencode=CP1252, notes="Spanish Atom 1.0"),
    Spec("pl-obrona", "pl", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Portal Obronny", "https://www.portal-obronny.example/", "Wiadomości", 2, 10,
         reencode=("cp1250", "windows-1250"), notes="Polish: ł ś ż „…”"),
    Spec("pl-iso8859-2", "pl", "rss20", "news", "link", "iso8859-2", "ISO-8859-2",
         "text/xml; charset=ISO-8859-2", "Kurier Wojskowy", "https://www.kurier-wojskowy.example/",
         "Aktualności", 2, 10, updated_element=False, stray="utf8-entry",
         reencode=("utf-8", "UTF-8"), notes="ISO-8859-2 (quotes written \"…\")"),
    Spec("ro-aparare", "ro", "rss20", "news", "guid", "utf-8", "UTF-8", UTF8,
         "Știri Apărare", "https://www.stiri-aparare.example/", "Știri", 3, 10,
         reencode=("utf-16", "UTF-16"), notes="Romanian: ș ț with comma below (ş ţ cedilla "
         "in the cosmetic step, which ISO-8859-16 lacks: re-encoded as UTF-16)"),
    # -- Russian ----------------------------------------------------------------------------
    Spec("ru-cp1251", "ru", "rss20", "news", "guid", "cp1251", "windows-1251",
         "application/rss+xml; charset=windows-1251", "Оборонный вестник",
         "https://www.oboronny-vestnik.example/", "Новости", 3, 13, stray="utf8-entry",
         reencode=("utf-8", "UTF-8"), notes="windows-1251"),
    Spec("ru-koi8r", "ru", "rss20", "news", "link", "koi8-r", "KOI8-R", "text/xml; charset=koi8-r",
         "Военное обозрение", "https://www.voennoe-obozrenie.example/", "Лента новостей", 3,
         12, updated_element=False, stray="utf8-entry", reencode=("cp1251", "windows-1251"),
         notes="KOI8-R, no guids (quotes written \"…\")"),
    Spec("ru-utf8-atom", "ru", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "Безопасность и оборона", "https://bezopasnost.example/", "Статьи", 3, 10,
         style="escaped", content=True, reencode=("cp1251", "windows-1251"), notes="UTF-8 Atom"),
    # -- Chinese, Japanese, Korean --------------------------------------------------------
    Spec("zh-gb2312", "zh", "rss20", "news", "guid", "gb2312", "gb2312",
         "text/xml; charset=gb2312", "国际防务快讯", "https://www.fangwu-kuaixun.example/",
         "防务新闻", 8, 12, stray="utf8-entry", reencode=("utf-8", "UTF-8"), notes="GB2312"),
    Spec("zh-gb18030-atom", "zh", "atom10", "news", "guid", "gb18030", "GB18030",
         "application/atom+xml; charset=GB18030", "安全观察", "https://anquan-guancha.example/",
         "观察与评论", 8, 10, style="escaped", stray="cut-char", reencode=("utf-8", "UTF-8"),
         notes="GB18030; a title cut inside a character"),
    Spec("ja-shiftjis-rdf", "ja", "rss10", "news", "guid", "shift_jis", "Shift_JIS",
         "application/rdf+xml; charset=Shift_JIS", "防衛ニュース速報",
         "https://www.bouei-news.example/", "防衛関連ニュース", 9, 12, stray="utf8-entry",
         reencode=("utf-8", "UTF-8"), notes="Shift_JIS RSS 1.0, as Japanese sites publish"),
    Spec("ja-utf8-atom", "ja", "atom10", "news", "guid", "utf-8", "utf-8", ATOM,
         "安全保障レビュー", "https://anpo-review.example/", "論評と解説", 9, 10,
         style="escaped", content=True, reencode=("euc_jp", "EUC-JP"), notes="UTF-8 Atom"),
    Spec("ko-euckr", "ko", "rss20", "news", "guid", "euc_kr", "EUC-KR",
         "application/rss+xml; charset=EUC-KR", "국방 뉴스", "https://www.gukbang-news.example/",
         "국방 소식", 9, 10, stray="cut-char", reencode=("utf-8", "UTF-8"), notes="EUC-KR"),
)


@dataclass(frozen=True)
class Plan:
    """A feed's entries, which of them each edit touches, and the entries it will gain."""

    spec: Spec
    entries: tuple[Entry, ...]
    roles: dict[str, str]  # role → entry uid
    fresh: dict[str, Entry]  # new, stray, shared: entries that arrive during the script


def _slug(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


_TWINS = {"’": "'", "‘": "'", "“": "\"", "”": "\"", "„": "\"", "«": "\"", "»": "\"",
          "…": "...", "–": "-", "—": "-", "→": "->", "œ": "oe", "Š": "S", "ș": "s", "ț": "t",
          "ă": "a", "\u00ad": ""}
_WIDE_DASH = {"—": "－"}  # GB2312 and EUC-KR have no em dash: CJK sites write a wide hyphen


def fit(spec: Spec, text: str) -> str:
    """Text as a CMS that writes in a narrow encoding stores it: each character that the
    feed's encoding (or its re-encoding) lacks replaced by the twin such CMSs write."""
    if fits(spec, text):
        return text
    out = []
    for char in text:
        if not fits(spec, char):
            char = _WIDE_DASH.get(char, char) if spec.lang in ("zh", "ko") else char
            char = char if fits(spec, char) else _TWINS.get(char, char)
            if not fits(spec, char):
                raise ValueError(f"{spec.name}: no way to write {char!r} in {spec.encoding} "
                                 f"and {spec.reencode[0]}")
        out.append(char)
    return "".join(out)


def fits(spec: Spec, text: str) -> bool:
    """Whether `text` can be written in the feed's encoding and in its re-encoding."""
    for codec in (spec.encoding, spec.reencode[0]):
        try:
            text.encode(codec, "xmlcharrefreplace" if codec == "ascii" else "strict")
        except UnicodeEncodeError:
            return False
    return True


def _html(text: str) -> str:
    return html.escape(text, quote=False)


def excerpt(spec: Spec, content: str, link: str | None, title: str) -> str:
    """WordPress's excerpt of a post, with its trailer (regenerated when the post changes)."""
    words = re.sub(r"<[^>]+>", " ", content).split()
    cut = " ".join(words[:22])
    if spec.lang == "fr":
        return (f"<p>{cut} […]</p>\n<p>L’article <a href=\"{link}\">{_html(title)}</a> "
                f"est apparu en premier sur <a href=\"{spec.site}\">{_html(spec.title)}</a>."
                "</p>")
    return (f"<p>{cut} <a href=\"{link}\" class=\"more-link\">Continue reading "
            f"<span class=\"screen-reader-text\">{_html(title)}</span> →</a></p>")


class _Builder:
    """Makes one feed's entries from its language's stories."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.lang = LANGUAGES[spec.lang]
        self.rng = random.Random(f"veille-corpus:{spec.name}")
        pool = STORIES[spec.lang]
        start = sum(map(ord, spec.name)) % len(pool)
        self.stories = [pool[(start + i) % len(pool)] for i in range(len(pool))]
        self.ids = self.rng.randrange(100000, 900000)
        self.start = datetime(2024, 5, 24, 9, 15, tzinfo=spec.tz)

    def next_id(self) -> int:
        self.ids += self.rng.randrange(3, 40)
        return self.ids

    def text(self, value: str) -> str:
        if self.spec.lang == "fr" and sum(map(ord, self.spec.name)) % 2 == 0:
            # French typography: a no-break space inside « » and before : ? !
            value = value.replace("« ", "«\u00a0").replace(" »", "\u00a0»")
            for mark in ":?!":
                value = value.replace(f" {mark}", f"\u00a0{mark}")
        return fit(self.spec, value)

    def bodies(self, p1: str, p2: str, line: str | None, link: str | None, title: str
               ) -> tuple[str | None, str | None]:
        """The summary and the content of one story, the way this feed writes them."""
        spec = self.spec
        line_html = f"\n<p><em>{_html(line)}</em></p>" if line else ""
        if spec.style == "plain":
            return p1 + (f"\n\n{line}" if line else ""), None
        if not spec.content:
            return f"<p>{_html(p1)}</p>{line_html}", None
        content = f"<p>{_html(p1)}</p>\n<p>{_html(p2)}</p>{line_html}"
        if spec.kind == "blog" and spec.fmt == "rss20":
            content = (f"<figure><img src=\"{spec.site}wp-content/uploads/2024/05/"
                       f"{self.rng.randrange(1000, 9999)}.jpg\" alt=\"\" /></figure>\n{content}")
        if spec.excerpt:
            return excerpt(spec, content, link, title), content
        return f"<p>{_html(p1)}</p>", content

    def link_for(self, title: str, number: int, when: datetime) -> str:
        spec = self.spec
        slug = _slug(title) or str(number)
        if spec.xml_base:
            return f"actualites/{when:%Y/%m}/{slug}.html"
        if spec.kind == "blog":
            return f"{spec.site}{when:%Y/%m/%d}/{slug}/"
        if spec.fmt == "rss091":
            return f"{spec.site}bulletin.php?id={number}"
        link = f"{spec.site}{when:%Y/%m/%d}/{slug}-{number}.html"
        if not slug.strip("0123456789"):
            link = f"{spec.site}news/{when:%Y%m}/{number}.html"
        if spec.tracking:
            link += "?utm_source=rss&utm_medium=feed&utm_campaign=monde"
        return link

    def guid_for(self, number: int, link: str | None, when: datetime) -> tuple[str | None, bool]:
        spec = self.spec
        if spec.identity in ("link", "keyless") or spec.fmt in ("rss091", "rss092"):
            return None, False
        if spec.fmt == "rss10":
            return link, True
        if spec.fmt == "atom10":
            if spec.name.startswith("en-defence"):
                return f"urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}", False
            host = spec.site.split("/")[2]
            return f"tag:{host},{when:%Y-%m-%d}:/actualites/{number}", False
        if spec.fmt == "atom03":
            return f"tag:{spec.site.split('/')[2]},{when:%Y}:{number}", False
        if spec.kind == "podcast":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), False
        if spec.kind == "blog":
            return f"{spec.site}?p={number}", False
        if spec.name.endswith("latin1") or spec.name.startswith("ru-"):
            return link, True
        return f"news_{number}_{spec.lang}", False

    def story(self, index: int, story: Story, when: datetime, *, line: datetime | None,
              uid: str, keyless: bool = False) -> Entry:
        spec = self.spec
        title, p1, p2 = (self.text(t) for t in story)
        number = self.next_id()
        link = None if keyless or spec.identity == "keyless" else self.link_for(title, number,
                                                                               when)
        guid, permalink = (None, False) if link is None else self.guid_for(number, link, when)
        line_text = self.text(self.lang.updated_line(line)) if line else None
        summary, content = self.bodies(p1, p2, line_text, link, title)
        if spec.fmt == "rss092" and index in (3, 7):
            # Userland-era weblogs: an item may be its description alone.
            return Entry(uid, "", None, None, f"<p>{_html(p1)} {_html(p2)}</p>")
        enclosure = None
        if spec.kind == "podcast":
            size = self.rng.randrange(18, 60) * 960000 + self.rng.randrange(0, 960000)
            enclosure = (f"{spec.site}episodes/{number}.mp3", size, "audio/mpeg")
        author = comments = None
        if spec.kind == "blog" and spec.fmt == "rss20":
            comments = self.rng.randrange(0, 40)
        if spec.kind == "blog":
            author = self.rng.choice(("Jean-Marc Lavigne", "Sarah O’Neill", "A. Duval"))
        categories: tuple[str, ...] = ()
        if spec.fmt in ("rss20", "atom10") and index % 3 == 0:
            categories = (self.text({"fr": "Défense", "en": "Defence"}.get(spec.lang, "Defence")),)
        base = f"{spec.xml_base}archives/" if spec.xml_base and index == 5 else None
        return Entry(uid, title, link, guid, summary, content, published=when, xml_base=base,
                     updated=line if spec.updated_element else None, line=line, author=author,
                     categories=categories, enclosure=enclosure, permalink=permalink,
                     comments=comments)

    def reply(self, index: int, post: tuple[str, str, int], when: datetime, uid: str) -> Entry:
        """One comment or forum post on `post` (title, link, post id)."""
        spec = self.spec
        replies = REPLIES["fr" if spec.lang == "fr" else "en"]
        text = self.text(replies[(index * 5 + len(spec.name)) % len(replies)])
        name = NAMES[(index * 3 + len(spec.name)) % len(NAMES)]
        post_title, post_link, post_id = post
        number = self.next_id()
        if spec.kind == "forum":
            if spec.fmt == "atom10":
                link = f"{spec.site}viewtopic.php?t={post_id}#p{number}"
                anchor = f"{spec.site}viewtopic.php?p={number}#p{number}"
                title = f"Actualités internationales • Re: {post_title}"
                return Entry(uid, title, link, anchor, f"<p>{_html(text)}</p>",
                             f"<p>{_html(text)}</p>", published=when, author=name)
            link = f"{spec.site}t/{_slug(post_title)}/{post_id}/{index + 2}"
            return Entry(uid, f"{post_title} — {name}", link, f"forum-post-{number}",
                         f"<p>{_html(text)}</p>", published=when, author=name,
                         permalink=False)
        link = f"{post_link}#comment-{number}"
        if spec.lang == "fr":
            title = f"Commentaire sur {post_title} par {name}"
        else:
            title = f"Comment on {post_title} by {name}"
        guid = f"{spec.site}?p={post_id}#comment-{number}" if spec.identity == "guid" else None
        summary = _html(text) if spec.content else f"<p>{_html(text)}</p>"
        content = f"<p>{_html(text)}</p>" if spec.content else None
        return Entry(uid, title, link, guid, summary, content, published=when, author=name)


_POSTS_PER_THREAD = (4, 3, 1, 2, 1, 3, 2, 1, 2, 1)  # comments on each post, newest post first


def plan(spec: Spec) -> Plan:
    """The feed's entries (newest first), its roles and its fresh entries."""
    b = _Builder(spec)
    when = b.start
    entries: list[Entry] = []
    keyless_every = 3 if spec.identity == "mixed" else 0
    if spec.kind in ("comments", "forum"):
        posts = [(b.text(s[0]), b.link_for(b.text(s[0]), 1000 + i, b.start), 1000 + i)
                 for i, s in enumerate(b.stories[:len(_POSTS_PER_THREAD)])]
        threads = [i for i, count in enumerate(_POSTS_PER_THREAD) for _ in range(count)]
        for index in range(spec.entries):
            entries.append(b.reply(index, posts[threads[index]], when, f"e{index}"))
            when -= timedelta(minutes=b.rng.randrange(25, 400))
        single = posts[_POSTS_PER_THREAD.index(1)]
        fresh = {"new": b.reply(90, posts[0], b.start + timedelta(hours=1), "new"),
                 "stray": b.reply(91, posts[1], b.start + timedelta(hours=2), "stray"),
                 "shared": b.reply(92, single, b.start + timedelta(hours=3), "shared")}
    else:
        for index in range(spec.entries):
            line = None
            if index == 3 or index % 5 == 4:
                line = when + timedelta(hours=b.rng.randrange(2, 30),
                                        minutes=b.rng.randrange(0, 60))
            keyless = bool(keyless_every) and index % keyless_every == 2
            entries.append(b.story(index, b.stories[index], when, line=line, uid=f"e{index}",
                                   keyless=keyless))
            when -= timedelta(minutes=b.rng.randrange(90, 1800))
        n = spec.entries
        fresh = {"new": b.story(50, b.stories[n], b.start + timedelta(hours=1), line=None,
                                uid="new"),
                 "stray": b.story(51, b.stories[n + 1], b.start + timedelta(hours=2),
                                  line=None, uid="stray")}
    roles = _roles(spec, entries)
    if spec.kind in ("comments", "forum"):
        roles.pop("updated")  # a comment has no "updated on" line
        if spec.kind == "forum" and spec.fmt == "rss20":
            # Every post of this forum has a link of its own: none can come to share one.
            del fresh["shared"]
            roles.pop("shared", None)
        else:
            lone = _POSTS_PER_THREAD.index(1)
            roles["shared"] = next(e.uid for i, e in enumerate(entries) if threads[i] == lone)
    elif "shared" in roles:
        target = next(e for e in entries if e.uid == roles["shared"])
        fresh["shared"] = _correction(b, target, b.start + timedelta(hours=3))
    return Plan(spec, tuple(entries), roles, fresh)


def _correction(b: _Builder, target: Entry, when: datetime) -> Entry:
    """A correction (or live update) published under a stored item's link."""
    spec, lang = b.spec, b.lang
    link = target.link
    if link is not None and sum(map(ord, spec.name)) % 2:
        link = f"{link}#maj" if spec.lang == "fr" else f"{link}#update-1"
    number = b.next_id()
    guid, permalink = b.guid_for(number, None, when)
    if spec.fmt == "rss10":
        guid, permalink = link, True
    summary, content = b.bodies(b.text(lang.lead[0]), b.text(lang.lead[-1]), None, link,
                                target.title)
    return Entry("shared", b.text(lang.correction + target.title), link, guid, summary,
                 content, published=when, permalink=permalink)


def _roles(spec: Spec, entries: list[Entry]) -> dict[str, str]:
    """Which entry each edit touches; distinct entries wherever the feed is long enough."""
    keyed = [e for e in entries if e.title and (e.link or e.guid)]
    keyless = [e for e in entries if e.title and not e.link and not e.guid and e.published]
    editable = keyed or keyless
    used: set[str] = set()

    def pick(candidates: list[Entry], want: int = 1) -> str:
        free = [e for e in candidates if e.uid not in used] or candidates
        chosen = free[min(want, len(free) - 1)]
        used.add(chosen.uid)
        return chosen.uid

    line = [e for e in editable if e.summary and ("<em>" in (e.content or e.summary)
                                                  or "\n\n" in e.summary)]
    roles = {"updated": pick(line or editable, 0)}
    if spec.identity != "keyless":
        roles["title"] = pick(keyed, 1)
    roles["summary"] = pick(editable, 2)
    for name in ("cosmetic-1", "cosmetic-2", "cosmetic-3", "cosmetic-4"):
        roles[name] = pick(editable, 3)
    roles["removed"] = pick(editable, 5)
    without_line = [e for e in editable if "<em>" not in (e.content or e.summary or "")
                    and "\n\n" not in (e.summary or "")]
    roles["truncated"] = pick(without_line, 4)
    if keyed and spec.identity != "keyless":
        linked = [e for e in keyed if e.link]
        if linked:
            roles["shared"] = pick(linked, 6)
    if keyless:
        roles["keyless"] = pick(keyless, 1)
    return roles
