"""The outline likeness as a user meets it on the command line (issue 31, item 3): printed with
each model made, kept in its library entry, and shown by `aiml3d info ENTRY [--json]`, also
for an entry made before it was kept (measured from the picture the entry keeps)."""

from __future__ import annotations

import json

from tests.cli.test_cli import one_error_line, run
from tests.conftest import corpus_file


def entries() -> list[dict]:
    return json.loads(run("library", "list", "--json").stdout)


def test_each_result_says_how_like_its_photo_it_is(fake_api):
    env = {"AIML_API_BASE": fake_api.base_url}
    chair = str(corpus_file("images/chair.png"))
    relief = run("generate", chair, "--backend", "local", env=env)
    assert relief.returncode == 0, relief.stderr
    assert "outline 0.9" in relief.stdout  # its own outline, inflated
    made = run("generate", chair, key=fake_api.KEY, env=env)  # the fake's model: a ball
    assert made.returncode == 0, made.stderr
    ball, local = sorted(entries(), key=lambda e: e["model"] == "local")
    shown = json.loads(run("info", local["id"], "--json").stdout)
    assert shown["entry"] == local["id"] and shown["likeness"]["silhouette_iou"] > 0.9
    assert json.loads(run("info", ball["id"], "--json").stdout)["likeness"]["silhouette_iou"] < 0.6
    lines = run("info", ball["id"][:-3]).stdout.splitlines()  # the start of its id
    assert lines[0].startswith(f"Entry       {ball['id']}")
    assert lines[-1].startswith("Likeness    outline 0.")


def test_an_entry_made_before_is_measured_from_the_picture_it_keeps(monkeypatch):
    from aiml3d_desktop.core.assets import likeness

    chair = str(corpus_file("images/chair.png"))
    with monkeypatch.context() as patch:  # made as an older version made it: no figure kept
        patch.setattr(likeness, "measure", lambda scene, picture: None)
        assert run("generate", chair, "--backend", "local").returncode == 0
    (entry,) = entries()
    assert "likeness" not in json.dumps(entry)
    shown = json.loads(run("info", entry["id"], "--json").stdout)
    assert shown["likeness"]["silhouette_iou"] > 0.9
    assert "No library entry" in one_error_line(run("info", "nosuchentry"))
