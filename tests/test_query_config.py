"""Queries and [terms] in config.toml, and a query watch alerting end to end."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from harness import Env

from monitor.config import Config, load_config
from monitor.errors import ConfigError

HEAD = """\
[[feed]]
name = "nato-fr"
url = "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml"

[notifier.screen]
type = "console"
"""


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + textwrap.dedent(text), encoding="utf-8")
    return load_config(path, {})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value.problems


class TestConfig:
    """`query` and `[terms]` are read, and every problem is a config error at its key."""

    def test_query_and_terms_loaded(self, tmp_path: Path) -> None:
        config = load(tmp_path, """
            [terms]
            korea = ["République de Corée", "Republic of Korea", "Corée du Sud", "ROK"]

            [[watch]]
            name = "korea"
            query = '@korea AND (cyber OR exercice) AND NOT title:sport'
            notify = ["screen"]
            """)
        assert config.watches[0].query == "@korea AND (cyber OR exercice) AND NOT title:sport"
        assert config.terms == {"korea": ("République de Corée", "Republic of Korea",
                                          "Corée du Sud", "ROK")}

    def test_query_error_names_the_key_and_column(self, tmp_path: Path) -> None:
        found = problems(tmp_path, """
            [[watch]]
            name = "korea"
            query = '"République de Corée" AND (cyber OR exercice AND NOT title:sport'
            notify = ["screen"]

            [[watch]]
            name = "sets"
            query = '@korea OR x'
            notify = ["screen"]
            """)
        assert found == [
            f"{tmp_path / 'config.toml'}: watch[0] (korea).query: at column 65: expected "
            'AND, OR, NEAR/n or ")" to close the "(" of column 27, found the end of the query',
            f"{tmp_path / 'config.toml'}: watch[1] (sets).query: at column 1: @korea is not "
            "a [terms] set (known: none is defined)"]

    def test_bad_terms(self, tmp_path: Path) -> None:
        found = problems(tmp_path, """
            [terms]
            empty = []
            words = ["ok", "’ – ", 3]
            "bad name" = ["x"]
            flat = "x"
            """)
        where = str(tmp_path / "config.toml")
        assert found == [f"{where}: terms.empty: expected a non-empty list of terms, got []",
                         f"{where}: terms.words[1]: \"’ – \" has no word to look for",
                         f"{where}: terms.words[2]: 3 has no word to look for",
                         f'{where}: terms."bad name": "bad name" is not a valid name; use '
                         'letters, digits, "_", "-", "."',
                         f'{where}: terms.flat: expected a non-empty list of terms, got "x"']


WATCHES = '''
[terms]
korea = ["République de Corée", "Republic of Korea", "Corée du Sud", "ROK"]

[[watch]]
name = "korea"
query = '@korea AND (Bruxelles OR Japon) AND NOT title:Lettonie AND link:natohq'
notify = ["analysts", "chat"]

[[watch]]
name = "never"
query = '@korea AND NOT feed:nato-fr'
notify = ["chat"]
'''


class TestEndToEnd:
    """A query watch alerts through `veille check`; the webhook says which terms and where."""

    def test_query_watch_alerts_with_spans(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=WATCHES)
        code, out, _ = env.veille("check")
        assert code == 0, out
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
        code, out, _ = env.veille("check")
        assert code == 0, out
        (body,) = env.hook_bodies()
        assert body["watches"] == ["korea"]
        assert body["matched"] == ["République de Corée", "Bruxelles", "Japon", "natohq"]
        summary = body["item"]["summary"]
        assert [summary[a:b] for a, b in body["spans"]["summary"]] == [
            "Japon", "République de Corée", "Bruxelles"]
        link = body["item"]["link"]
        assert [link[a:b] for a, b in body["spans"]["link"]] == ["natohq"]
        assert "title" not in body["spans"]
        assert len(env.emails) == 1


class TestAlertSpans:
    """An alert carries the spans of its own watches, within the texts it shows."""

    def test_routed_watches_only_and_within_the_texts(self) -> None:
        from monitor.alerts import _spans

        stored = {"spans": {"korea": {"title": [[0, 4], [50, 60]], "content": [[3, 8]]},
                            "japan": {"title": [[5, 9]]}}}
        texts = {"title": "OTAN et Corée", "summary": "", "content": "la Corée, et plus",
                 "page": "", "link": "", "feed": "nato-fr"}
        assert _spans(stored, ["korea"], texts, "la Corée, et…") == {
            "title": ((0, 4),), "content": ((3, 8),), "summary": ((3, 8),)}

    def test_summary_cut_where_capped(self) -> None:
        from monitor.alerts import _spans

        stored = {"spans": {"korea": {"summary": [[0, 4], [10, 15]]}}}
        texts = {"title": "", "summary": "OTAN et la Corée", "content": ""}
        assert _spans(stored, ["korea"], texts, "OTAN et…") == {"summary": ((0, 4),)}

    def test_events_without_spans(self) -> None:
        from monitor.alerts import _spans

        assert _spans({"status": "new", "hits": {}}, ["korea"], {"summary": "x"}, "x") == {}
