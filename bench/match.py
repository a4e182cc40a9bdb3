"""Benchmark of monitor.match: 1,000 watched terms in 100 watches over 50,000 FR/EN items, then
1,000 queries of the full watch language (phrases, AND / OR / NOT, fields, NEAR/n, @sets of
[terms]) over the same items.

Reproduce from the repository root:  .venv/bin/python bench/match.py
Data generated from a fixed seed. Also times a regex alternation per watch, and a naive
evaluator per query, on a subset, and checks that they pick the same watches there.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.fold import fold  # noqa: E402
from monitor.match import ItemText, Matcher  # noqa: E402
from monitor.query import (  # noqa: E402
    DEFAULT_FIELDS,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Ref,
    Term,
    parse,
    to_text,
)

COMMAND = ".venv/bin/python bench/match.py"
T = TypeVar("T")

COUNTRIES = (
    "Corée du Sud|South Korea;République de Corée|Republic of Korea;Corée du Nord|North Korea;"
    "Japon|Japan;Chine|China;États-Unis|United States;Royaume-Uni|United Kingdom;"
    "Allemagne|Germany;Espagne|Spain;Italie|Italy;Pologne|Poland;Roumanie|Romania;"
    "Bulgarie|Bulgaria;Grèce|Greece;Türkiye|Turkey;Géorgie|Georgia;Arménie|Armenia;"
    "Azerbaïdjan|Azerbaijan;Ukraine|Ukraine;Russie|Russia;Biélorussie|Belarus;Moldavie|Moldova;"
    "Finlande|Finland;Suède|Sweden;Norvège|Norway;Danemark|Denmark;Islande|Iceland;"
    "Estonie|Estonia;Lettonie|Latvia;Lituanie|Lithuania;Tchéquie|Czechia;Slovaquie|Slovakia;"
    "Hongrie|Hungary;Slovénie|Slovenia;Croatie|Croatia;Monténégro|Montenegro;"
    "Macédoine du Nord|North Macedonia;Albanie|Albania;Bosnie-Herzégovine|Bosnia and Herzegovina;"
    "Serbie|Serbia;Kosovo|Kosovo;Pays-Bas|Netherlands;Belgique|Belgium;Luxembourg|Luxembourg;"
    "Portugal|Portugal;Irlande|Ireland;Autriche|Austria;Suisse|Switzerland;Malte|Malta;"
    "Chypre|Cyprus;Australie|Australia;Nouvelle-Zélande|New Zealand;Inde|India;"
    "Pakistan|Pakistan;Afghanistan|Afghanistan;Iran|Iran;Irak|Iraq;Syrie|Syria;Israël|Israel;"
    "Jordanie|Jordan;Égypte|Egypt;Libye|Libya;Tunisie|Tunisia;Algérie|Algeria;Maroc|Morocco;"
    "Mauritanie|Mauritania;Mali|Mali;Niger|Niger;Tchad|Chad;Soudan|Sudan;Éthiopie|Ethiopia;"
    "Somalie|Somalia;Kenya|Kenya;Nigéria|Nigeria;Sénégal|Senegal;Côte d’Ivoire|Ivory Coast;"
    "Émirats arabes unis|United Arab Emirates;Arabie saoudite|Saudi Arabia;Qatar|Qatar;"
    "Koweït|Kuwait;Bahreïn|Bahrain;Oman|Oman;Yémen|Yemen;Kazakhstan|Kazakhstan;"
    "Ouzbékistan|Uzbekistan;Mongolie|Mongolia;Viêt Nam|Vietnam;Philippines|Philippines;"
    "Indonésie|Indonesia;Malaisie|Malaysia;Singapour|Singapore;Thaïlande|Thailand;"
    "Taïwan|Taiwan;Brésil|Brazil;Argentine|Argentina;Colombie|Colombia;Mexique|Mexico;"
    "Canada|Canada;Chili|Chile;Pérou|Peru;Équateur|Ecuador")
CITIES = ("Bruxelles Séoul Varsovie Kyiv Vilnius Riga Tallinn Helsinki Stockholm Oslo Copenhague "
          "Reykjavik Berlin Paris Londres Madrid Rome Lisbonne Athènes Ankara Bucarest Sofia "
          "Budapest Prague Bratislava Ljubljana Zagreb Podgorica Skopje Tirana Sarajevo Belgrade "
          "Pristina Chișinău Tbilissi Erevan Bakou Moscou Minsk Pékin Tokyo Canberra Wellington "
          "New-Delhi Washington Ottawa Norfolk Mons Naples Brunssum Ramstein Constanța Mihail-"
          "Kogălniceanu Suwałki Kaliningrad Sébastopol Odessa Kharkiv Kherson Zaporijjia Donetsk "
          "Louhansk Marioupol Bakhmout Tartous Tripoli Niamey Bamako Djibouti").split()
ORGS = ("OTAN;NATO;Union européenne;European Union;ONU;United Nations;OSCE;"
        "Conseil de l’Atlantique Nord;North Atlantic Council;Comité militaire;Military Committee;"
        "SHAPE;SACEUR;Commandement allié Transformation;Allied Command Transformation;KFOR;"
        "Agence OTAN de soutien et d’acquisition;NATO Support and Procurement Agency;AUKUS;"
        "Assemblée parlementaire de l’OTAN;NATO Parliamentary Assembly;G7;G20;ASEAN;"
        "Union africaine;African Union;Conseil de sécurité;Security Council;AIEA;IAEA;"
        "Agence spatiale européenne;European Space Agency;Europol;Frontex;Interpol;UE;EU;ROK;"
        "Division Sécurité coopérative;Cooperative Security Division;État-major militaire "
        "international;International Military Staff;Secrétariat international;"
        "International Staff;Organisation du traité de sécurité collective;Wagner;Hamas;Hezbollah")
TOPICS = ("Indo-Pacifique;Indo-Pacific;cyberdéfense;cyber defence;menaces hybrides;"
          "hybrid threats;dissuasion nucléaire;nuclear deterrence;défense antimissile;"
          "missile defence;mer Noire;Black Sea;mer Baltique;Baltic Sea;Grand Nord;High North;"
          "flanc est;eastern flank;F-35;S-400;Patriot;HIMARS;5G;intelligence artificielle;"
          "artificial intelligence;technologies émergentes;emerging technologies;résilience;"
          "désinformation;disinformation;terrorisme;counter-terrorism;sommet de Vilnius;"
          "Vilnius Summit;sommet de Washington;Washington Summit;article 5;Article 5;"
          "interopérabilité;interoperability;péninsule coréenne;Korean Peninsula;"
          "programme de partenariat individualisé;Individually Tailored Partnership Programme;"
          "drones;munitions;sanctions;cessez-le-feu;ceasefire;réfugiés;refugees")
FIRST = ("Dacian-Tiberiu Mark Jens Ursula Antony Dong Goo Yoon Suk-yeol Fumio Olaf Emmanuel "
         "Giorgia Pedro Andrzej Volodymyr Sergueï Ilham Nikol Kaja Gabrielius Mircea Petr Mette "
         "Ulf Alexander Rob Christopher Chris Oana-Maria Zoë Søren Bjørn Ewa Łukasz").split()
LAST = ("Șerban Rutte Stoltenberg von der Leyen Blinken Kang Kishida Scholz Macron Meloni Sánchez "
        "Duda Zelensky Lavrov Aliyev Pachinian Kallas Landsbergis Geoană Pavel Frederiksen "
        "Kristersson Stubb Bauer Cavoli Grynkewich Dumitrescu Ødegaard Kowalczyk Müller "
        "Nguyễn Öztürk").split()

FR = ["Le {d}, {p} a reçu à {x} une délégation de {c} pour des entretiens sur la coopération.",
      "« Nous souhaitons renforcer notre interaction avec nos partenaires », a déclaré {p}.",
      "La réunion s’est tenue sous la conduite de l’{o}, en présence d’experts de {c}.",
      "Les ministres ont évoqué la situation en {c}, la question de {t} et l’aide à {c}.",
      "Cette visite d’un jour a permis de réaffirmer l’attachement de {c} envers {o}.",
      "Mis à jour le {d} : les discussions porteront aussi sur {t} et sur la sécurité.",
      "Le général {p}, directeur de la division, s’est rendu à {x} puis à {x} cette semaine.",
      "Des délégations de tous les pays partenaires ont rencontré les chefs d’état-major."]
EN = ["On {d}, {p} hosted military staff talks with {c} in {x} on future cooperation.",
      "“We want to strengthen our interaction with our partners,” said {p} in {x}.",
      "The meeting was chaired by the {o}, with experts from {c} and {c} attending.",
      "Ministers discussed the situation in {c}, {t}, and continued support to {c}.",
      "The one-day visit reaffirmed the commitment of {c} to its partnership with {o}.",
      "Updated {d}: talks will also address {t}, resilience and counter-terrorism.",
      "Allies agreed on new steps for {t}; the broken supply chains were also on the agenda.",
      "Delegations from all partner countries met the Chiefs of Defence in {x} last week."]
TITLES = ["{p} rencontre {p} à {x}", "Entretiens entre {o} et {c} sur {t}",
          "{c} and {o} hold talks on {t}", "{p} visits {x} ahead of the summit",
          "Mis à jour : {c} — coopération renforcée avec {c}", "Statement by {p} on {c}"]


@dataclass(frozen=True)
class Watch:
    """A watch as the config would give it."""

    name: str
    keywords: tuple[str, ...]
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()


def vocabulary(rng: random.Random) -> list[str]:
    """Exactly 1,000 distinct watched terms, shuffled."""
    terms = [t for pair in COUNTRIES.split(";") for t in pair.split("|")]
    terms += CITIES + ORGS.split(";") + TOPICS.split(";")
    terms += [f"{f} {la}" for f in FIRST for la in LAST]
    unique = list(dict.fromkeys(terms))
    rng.shuffle(unique)
    return unique[:1000]


def invented_name(rng: random.Random) -> str:
    """A plausible name nobody watches."""
    syllables = ["va", "lor", "ké", "dan", "mi", "ros", "tel", "ka", "ni", "bor", "sé", "ul"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()


def make_watches(terms: list[str]) -> list[Watch]:
    """100 watches of 10 terms, some with `all`, `exclude`, regexes or exact terms."""
    watches = []
    for i in range(100):
        kws = tuple(terms[i * 10:(i + 1) * 10])
        if i < 10:
            watches.append(Watch(f"w{i}", kws, all=(("OTAN", "NATO", "Ukraine")[i % 3],)))
        elif i < 20:
            watches.append(Watch(f"w{i}", kws, exclude=(("sport", "Russie", "drones")[i % 3],)))
        elif i < 23:
            patterns = (r"\bf ?35\b", r"\bsommet de \w+", r"\b(?:exercice|exercise) \w+ \d{4}\b")
            watches.append(Watch(f"w{i}", kws, regex=(patterns[i - 20],)))
        elif i < 25:
            exact = (("US", "NATO"), ("SHAPE", "Patriot"))[i - 23]
            watches.append(Watch(f"w{i}", kws, exact=exact))
        elif i == 99:
            watches.append(Watch(f"w{i}", (), all=("Corée",), exclude=("Corée du Nord",)))
        else:
            watches.append(Watch(f"w{i}", kws))
    return watches


def make_items(rng: random.Random, terms: list[str], count: int) -> list[tuple[str, str, str]]:
    """`count` (title, summary, content) items of about 600 characters, FR or EN."""
    others = [invented_name(rng) for _ in range(500)]
    people = [t for t in terms if " " in t and t[0].isupper()]

    def fill(template: str) -> str:
        def slot(m: re.Match[str]) -> str:
            kind = m.group(1)
            if kind == "d":
                return f"{rng.randint(1, 28)} {rng.choice(['mai', 'May', 'juin', 'June'])} 2024"
            if rng.random() < 0.05:  # a watched term; else one nobody watches
                return rng.choice(people if kind == "p" else terms)
            return f"{rng.choice(FIRST)} {rng.choice(others)}" if kind == "p" \
                else rng.choice(others)
        return re.sub(r"\{(\w)\}", slot, template)

    items = []
    for _ in range(count):
        sentences = rng.choice((FR, EN))
        summary = ""
        while len(summary) < 520:
            summary += fill(rng.choice(sentences)) + " "
        items.append((fill(rng.choice(TITLES)), summary.strip(), ""))
    return items


class RegexBaseline:
    """The naive way: per watch, one alternation regex for keywords, one per `all` term, ..."""

    def __init__(self, watches: list[Watch]) -> None:
        def alternation(terms: tuple[str, ...]) -> re.Pattern[str] | None:
            alts = sorted((re.escape(fold(t)) for t in terms), key=len, reverse=True)
            return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)") if alts else None
        self.watches = [(w, alternation(w.keywords), [alternation((t,)) for t in w.all],
                         alternation(w.exclude), [re.compile(p) for p in w.regex],
                         [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)") for t in w.exact])
                        for w in watches]

    def match(self, title: str, summary: str, content: str) -> set[str]:
        folded = f"{fold(title)}\n{fold(summary)}\n{fold(content)}"
        raw = f"{title}\n{summary}\n{content}"
        names = set()
        for w, kws, alls, excl, rxs, exacts in self.watches:
            if excl and excl.search(folded) or any(not a or not a.search(folded) for a in alls):
                continue
            hit = (kws is not None and kws.search(folded) is not None) \
                or any(r.search(folded) for r in rxs) or any(e.search(raw) for e in exacts)
            if hit or not (w.keywords or w.regex or w.exact):
                names.add(w.name)
        return names


@dataclass(frozen=True)
class QueryWatch:
    """A watch with a query only."""

    name: str
    query: str
    keywords: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()


FEEDS = ("nato-fr", "nato-en", "defense-gouv", "reuters-world")


def make_queries(rng: random.Random, terms: list[str]
                 ) -> tuple[list[QueryWatch], dict[str, tuple[str, ...]]]:
    """1,000 queries over `terms`, each shape of the language in turn, and 50 [terms] sets."""
    sets = {f"set{i}": tuple(rng.sample(terms, 5)) for i in range(50)}
    names = list(sets)

    def t() -> str:
        return to_text(Term(rng.choice(terms), True))

    def r() -> str:
        return f"@{rng.choice(names)}"
    shapes: list[Callable[[], str]] = [
        lambda: f"{r()} AND ({t()} OR {t()}) AND NOT title:{t()}",
        lambda: f"{t()} NEAR/5 ({t()} OR {t()})",
        lambda: f"title:{t()} OR summary:({t()} AND {t()})",
        lambda: f"{r()} AND link:{rng.choice(('fr', 'en'))}",
        lambda: f"feed:{rng.choice(FEEDS)} AND ({t()} OR {t()} OR {t()})",
        lambda: f"({t()} OR {t()} OR {t()}) AND NOT ({t()} OR {t()})",
        lambda: f"{r()} NEAR/10 {r()}",
        lambda: f"content:{t()} OR page:{t()} OR {t()}",
        lambda: f"{t()} AND ({r()} OR {t()} NEAR/3 {t()})",
        lambda: f"title:({r()} OR {t()}) AND NOT feed:{rng.choice(FEEDS)}",
    ]
    watches = [QueryWatch(f"q{i}", shapes[i % len(shapes)]()) for i in range(999)]
    watches.append(QueryWatch("q999", f"NOT {r()}"))  # no trigger: evaluated on every item
    return watches, sets


def with_links(rng: random.Random, items: list[tuple[str, str, str]]) -> list[ItemText]:
    """The items with a feed name and a link, as the router passes them."""
    out = []
    for number, (title, summary, content) in enumerate(items):
        feed = rng.choice(FEEDS)
        lang = "fr" if feed.endswith("fr") or feed.startswith("defense") else "en"
        out.append(ItemText(title, summary, content, "",
                            f"https://www.example.org/{lang}/news/{number}.htm", feed))
    return out


class NaiveQueries:
    """The naive way: fold every field, and per query walk the tree with a regex per term."""

    def __init__(self, watches: list[QueryWatch], sets: dict[str, tuple[str, ...]]) -> None:
        self.trees = [(w.name, parse(w.query)) for w in watches]
        self.sets = sets
        self.patterns: dict[str, re.Pattern[str]] = {}

    def _rx(self, term: str) -> re.Pattern[str]:
        if term not in self.patterns:
            self.patterns[term] = re.compile(rf"(?<!\w){re.escape(fold(term))}(?!\w)")
        return self.patterns[term]

    def _alternatives(self, node: Node) -> list[str]:
        if isinstance(node, Term):
            return [node.text]
        if isinstance(node, Ref):
            return list(self.sets[node.name])
        assert isinstance(node, Or)
        return [t for c in node.children for t in self._alternatives(c)]

    def _holds(self, node: Node, texts: dict[str, str], scope: tuple[str, ...]) -> bool:
        if isinstance(node, Term | Ref):
            return any(self._rx(t).search(texts[f]) for t in self._alternatives(node)
                       for f in scope)
        if isinstance(node, Not):
            return not self._holds(node.child, texts, scope)
        if isinstance(node, And):
            return all(self._holds(c, texts, scope) for c in node.children)
        if isinstance(node, Or):
            return any(self._holds(c, texts, scope) for c in node.children)
        if isinstance(node, Field):
            return self._holds(node.child, texts, (node.name,))
        assert isinstance(node, Near)
        for name in scope:
            text = texts[name]
            starts = [m.start() for m in re.finditer(r"\w+", text)]

            def spans(side: Node, text: str = text, starts: list[int] = starts
                      ) -> list[tuple[int, int]]:
                found = []
                for term in self._alternatives(side):
                    for m in self._rx(term).finditer(text):
                        first = sum(1 for s in starts if s <= m.start()) - 1
                        found.append((first, max(sum(1 for s in starts if s < m.end()) - 1,
                                                 first)))
                return found
            for a in spans(node.left):
                for b in spans(node.right):
                    gap = b[0] - a[1] - 1 if b[0] > a[1] else a[0] - b[1] - 1
                    if gap <= node.distance:
                        return True
        return False

    def match(self, item: ItemText) -> set[str]:
        texts = {name: fold(getattr(item, name)) for name in
                 ("title", "summary", "content", "page", "link", "feed")}
        return {name for name, tree in self.trees if self._holds(tree, texts, DEFAULT_FIELDS)}


def bench_queries(rng: random.Random, terms: list[str], items: list[tuple[str, str, str]],
                  baseline: int) -> None:
    """Time 1,000 queries of the full language over `items`; check a subset naively."""
    watches, sets = make_queries(rng, terms)
    texts = with_links(rng, items)
    (matcher,), _, compiled = timed(lambda: [Matcher(watches, sets)])
    results, wall, cpu = timed(lambda: [matcher.match(
        i.title, i.summary, i.content, page=i.page, link=i.link, feed=i.feed) for i in texts])
    print(f"queries: {len(watches)} queries over {len(sets)} [terms] sets, compiled in "
          f"{compiled:.3f} CPU s: {len(texts) / cpu:,.0f} items/s of CPU ({cpu:.2f} CPU s), "
          f"{len(texts) / wall:,.0f} items/s of wall time ({wall:.2f} s); "
          f"{sum(1 for r in results if r) / len(texts):.0%} of items match a query, "
          f"{sum(map(len, results)) / len(texts):.2f} queries per item")
    naive = NaiveQueries(watches, sets)
    subset = texts[:baseline]
    expected, wall, cpu = timed(lambda: [naive.match(i) for i in subset])
    agree = sum(1 for e, r in zip(expected, results, strict=False) if e == set(r))
    print(f"naive evaluator, a regex per term and query, on {len(subset)} items: "
          f"{len(subset) / cpu:,.0f} items/s of CPU; same queries as Matcher on "
          f"{agree}/{len(subset)} items")


def main() -> None:
    """Generate the data, time Matcher on all items and the regex baseline on a subset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    print(f"reproduce: {COMMAND} --items {args.items} --baseline {args.baseline} "
          f"--seed {args.seed}")
    rng = random.Random(args.seed)
    watches = make_watches(terms := vocabulary(rng))
    items = make_items(rng, terms, args.items)
    chars = sum(len(t) + len(s) + len(c) for t, s, c in items) / len(items)
    print(f"{len(terms)} terms in {len(watches)} watches; {len(items)} items, "
          f"{chars:.0f} characters each on average; Python {sys.version.split()[0]}")

    (matcher,), _, compiled = timed(lambda: [Matcher(watches)])
    results, wall, cpu = timed(lambda: [matcher.match(t, s, c) for t, s, c in items])
    print(f"Matcher (compiled in {compiled:.3f} CPU s): {len(items) / cpu:,.0f} items/s of CPU "
          f"({cpu:.2f} CPU s), {len(items) / wall:,.0f} items/s of wall time ({wall:.2f} s); "
          f"{sum(1 for r in results if r) / len(items):.0%} of items match a watch, "
          f"{sum(map(len, results)) / len(items):.2f} watches per item")

    baseline = RegexBaseline(watches)
    subset = items[:args.baseline]
    expected, wall, cpu = timed(lambda: [baseline.match(t, s, c) for t, s, c in subset])
    agree = sum(1 for e, r in zip(expected, results, strict=False) if e == set(r))
    print(f"baseline, a regex alternation per watch, on {len(subset)} items: "
          f"{len(subset) / cpu:,.0f} items/s of CPU ({cpu:.2f} CPU s), "
          f"{len(subset) / wall:,.0f} items/s of wall time; "
          f"same watches as Matcher on {agree}/{len(subset)} items")

    bench_queries(rng, terms, items, min(args.baseline, 200))


def timed(run: Callable[[], list[T]]) -> tuple[list[T], float, float]:
    """`run()`'s result, with the wall and CPU seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    main()
