"""Write the regression corpus: every feed as first served (`feeds/<name>.xml`) and
`corpus.json`, the manifest that says how each is served and which entries the script edits.

    python tests/data/corpus/make_corpus.py           # regenerate in place
    python tests/data/corpus/make_corpus.py --check   # exit 1 if the files are stale

Deterministic: no network, no clock, every random choice seeded by the feed's name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus_edits import STEPS, initial  # noqa: E402
from corpus_feeds import SPECS, Plan, plan  # noqa: E402
from corpus_model import served  # noqa: E402

FEEDS = HERE / "feeds"
MANIFEST = HERE / "corpus.json"


def applicable(p: Plan) -> list[str]:
    """The steps that edit this feed (the others serve it unchanged)."""
    names, state = [], initial(p)
    for step in STEPS:
        outcome = step.apply(p, state)
        if outcome is not None:
            names.append(step.name)
            state = outcome[0]
    return names


def manifest(plans: list[Plan]) -> dict[str, object]:
    feeds = []
    for p in plans:
        spec = p.spec
        body, content_type = served(spec, initial(p))
        titles = {e.uid: e.title for e in (*p.entries, *p.fresh.values())}
        feeds.append({
            "name": spec.name, "file": f"feeds/{spec.name}.xml", "content_type": content_type,
            "language": spec.lang, "format": spec.fmt, "kind": spec.kind,
            "identity": spec.identity, "encoding": spec.encoding, "declared": spec.declared,
            "bom": spec.bom, "leading_newline": bool(spec.leading),
            "entries": len(p.entries), "bytes": len(body),
            "reencoded_as": spec.reencode[1], "stray": spec.stray, "notes": spec.notes,
            "edits": {role: {"entry": uid, "title": titles[uid]}
                      for role, uid in sorted(p.roles.items())},
            "arrivals": {name: entry.title for name, entry in p.fresh.items()},
            "steps": applicable(p),
        })
    return {
        "about": "The veille regression corpus; regenerate with make_corpus.py. Each feed is "
                 "served with its content_type; tests/test_corpus.py runs the steps below.",
        "steps": [{"name": s.name, "does": s.says, "skips": s.skips} for s in STEPS],
        "feeds": feeds,
    }


def outputs() -> dict[Path, bytes]:
    """Every file of the corpus and its bytes."""
    plans = [plan(spec) for spec in SPECS]
    files = {FEEDS / f"{p.spec.name}.xml": served(p.spec, initial(p))[0] for p in plans}
    text = json.dumps(manifest(plans), ensure_ascii=False, indent=1) + "\n"
    files[MANIFEST] = text.encode("utf-8")
    return files


def stale() -> list[Path]:
    """Files that differ from what this script writes (or are missing)."""
    return [path for path, data in outputs().items()
            if not path.exists() or path.read_bytes() != data]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        old = stale()
        for path in old:
            print(f"stale: {path.relative_to(HERE)}")
        return 1 if old else 0
    FEEDS.mkdir(exist_ok=True)
    for path, data in outputs().items():
        path.write_bytes(data)
    print(f"wrote {len(SPECS)} feeds and {MANIFEST.name} in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
