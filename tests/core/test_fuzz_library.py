"""The library's own files fuzzed (hypothesis): whatever an ``entry.json``, a row of the
usage ledger or a line of its journal holds, listing, checking and summing go on, and
the entries that can be read are shown. (The scene document, ``scene.json``, joins these
when it is made: issue "Scene composition".)"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiml3d_desktop import cli
from aiml3d_desktop.core.api.calls import Call
from aiml3d_desktop.core.library.entry import _SCHEMA, _STATS
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.spending import usage

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What Python's json reads: huge integers, NaN and Infinity, lone surrogates (from \ud800).
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec=None, categories=None), max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = sorted([*_SCHEMA, "title", "created", "stats"])


@st.composite
def entry_docs(draw) -> object:
    """An entry.json: mostly the right shape with odd values, sometimes anything at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    doc = {"id": "ID", "mesh_file": draw(st.sampled_from(["m.stl", "m.stl", "../m.stl", ""]))}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        doc[name] = draw(VALUES)
    if draw(st.booleans()):
        doc["stats"] = {k: draw(VALUES) for k in draw(st.lists(st.sampled_from(sorted(_STATS))))}
    return doc


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    """A library of one good and one entry to overwrite, made once (copied per example)."""
    root = tmp_path_factory.mktemp("fuzz") / "lib"
    library = Library(root)
    ids = []
    for name in ("good", "bad"):
        stl = root.parent / f"{name}.stl"
        stl.write_text("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                       "vertex 0 1 0\nendloop\nendfacet\nendsolid x\n")  # fmt: skip
        ids.append(library.import_mesh(stl).id)
    library.close()
    (root / "index.sqlite").unlink()
    return root, ids[1]


def quietly(*args: str) -> int:
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
        return cli.main(list(args))


@FUZZ
@given(doc=entry_docs())
def test_no_entry_json_stops_the_library(template, doc):
    root, bad = template
    with tempfile.TemporaryDirectory() as scratch:
        lib = Path(scratch) / "lib"
        shutil.copytree(root, lib)
        text = json.dumps(doc).replace('"ID"', json.dumps(bad)).replace("m.stl", "bad.stl")
        (lib / "entries" / bad / "entry.json").write_text(text)
        library = Library(lib)
        listed = library.list()
        assert len(listed) in (1, 2) and any(e.title == "good" for e in listed)
        library.check()
        library.close()
        for args in (["list"], ["check"], ["rebuild"], ["show", bad[:15]]):
            assert quietly("library", "--library", str(lib), *args) in (0, 1), args


SQL_VALUES = (
    st.none()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.binary(max_size=8)
    | st.sampled_from(["2026-11-05T10:00:00+00:00", "2026-11-05", "9999-12-31T23:59:59+14:00"])
)


@FUZZ
@given(rows=st.lists(st.tuples(*[SQL_VALUES] * 11), min_size=1, max_size=6))
def test_no_row_of_the_ledger_stops_the_usage_numbers(isolated, monkeypatch, rows):
    """Rows another program wrote into usage.sqlite: summed, estimated, listed by the
    command, or left out; never a crash."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "lib"
        Library(root).usage.close()
        db = sqlite3.connect(root / usage.LEDGER_FILE)
        names = ", ".join(usage._NAMES)
        db.executemany(
            f"INSERT OR IGNORE INTO calls ({names}) VALUES ({', '.join('?' * 11)})", rows
        )
        db.commit()
        db.close()
        library = Library(root)
        calls = library.usage.calls()
        for by in ("day", "model", "all"):
            usage.summarise(calls, by)
        list(usage.iter_csv(calls))
        usage.estimate(
            library.usage, [("triposr", {}, None), ("meshy/meshy-6-image-to-3d", {}, None)]
        )
        library.close()
        monkeypatch.setenv("AIML3D_LIBRARY", str(root))
        for by in ("day", "model"):
            assert quietly("usage", "--by", by) == 0
            assert quietly("usage", "--by", by, "--json") == 0


@FUZZ
@given(lines=st.lists(st.binary(max_size=60) | VALUES.map(lambda v: json.dumps(v).encode())))
def test_no_journal_line_stops_the_merge(lines):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "lib"
        good = Call("2026-11-05T10:00:00.000+00:00", "triposr", True, credits=1.0)
        library = Library(root)
        library.usage.close()
        library.close()
        usage.journal(root, [good])
        with open(root / usage.JOURNAL_FILE, "ab") as journal:
            journal.write(b"\n".join(lines))
        library = Library(root)
        assert good in library.usage.calls()  # the good line is never lost to the bad ones
        assert not list(root.glob(usage.JOURNAL_FILE + "*"))
        library.close()
