"""What the journal says: one line per poll cycle and per alert delivered, as text or JSON."""

from __future__ import annotations

import json

from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from harness import Env


class TestOperatorLines:
    """An operator can answer "what did veille do this hour" from the log alone."""

    def test_one_line_per_cycle_and_per_alert(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, _, err = env.veille("check")
        assert code == 0
        cycles = [line for line in err.splitlines() if "poll cycle:" in line]
        assert len(cycles) == 1 and "1 feed polled" in cycles[0] and " INFO " in cycles[0]
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
        code, _, err = env.veille("check")
        assert code == 0
        assert "1 new" in next(line for line in err.splitlines() if "poll cycle:" in line)
        sent = [line for line in err.splitlines() if " sent to " in line]
        assert sorted(line.split(" sent to ")[1].split(":")[0] for line in sent) == [
            "analysts", "chat"]
        assert all(INDO_PACIFIC.title in line and "item.new" in line for line in sent)

    def test_json_lines_for_log_shippers(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, _, err = env.veille("--log-format", "json", "check")
        assert code == 0
        entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert entries and all({"time", "level", "logger", "message"} <= e.keys()
                               for e in entries)
        assert any(e["message"].startswith("poll cycle:") and e["level"] == "info"
                   for e in entries)
        assert all(e["time"].endswith("Z") for e in entries)
        # Text lines come back with the default format.
        code, _, err = env.veille("check")
        assert not any(line.startswith("{") for line in err.splitlines())
