"""One photo, the rest drawn and checked (issue 31) as a user meets it on the command line: the
outline likeness printed with each model made, kept in its library entry, and shown by
`aiml3d info ENTRY [--json]`, also for an entry made before it was kept (measured from the
picture the entry keeps); the views a photo lacks drawn with --draw-views and kept."""

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


def test_the_missing_views_are_drawn_sent_and_kept_with_the_model(fake_api, tmp_path):
    """`aiml3d generate --model magic/image-to-3d --draw-views left,back,right PHOTO`: three
    pictures drawn from the prepared front, sent as the model's views, kept in its entry
    with how each was drawn; asked as a dry run, the calls are shown and none is sent."""
    import base64

    env = {"AIML_API_BASE": fake_api.base_url}
    chair = str(corpus_file("images/chair.png"))
    args = ("generate", "--model", "magic/image-to-3d", "--draw-views", "left,back,right", chair)
    dry = run(*args, "--dry-run", key=fake_api.KEY, env=env)
    assert dry.returncode == 0 and dry.stdout.count('"model": "google/nano-banana-edit"') == 3
    assert fake_api.calls("api") == []
    made = run(*args, key=fake_api.KEY, env=env)
    assert made.returncode == 0, made.stderr
    *edits, model = [c.body for c in fake_api.calls("api")]
    assert [e["model"] for e in edits] == ["google/nano-banana-edit"] * 3
    assert {e["image_urls"][0] for e in edits} == {model["front_image_url"]}
    for side in ("left", "back", "right"):
        sent = model[f"{side}_image_url"]
        assert base64.b64decode(sent.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    (entry,) = entries()
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library

    library = Library(settings.load()[0].library_path)
    kept = library.get(entry["id"])
    assert kept.extra["view_files"] == {s: f"view-{s}.png" for s in ("left", "back", "right")}
    assert kept.extra["drawn_views"]["back"]["model"] == "google/nano-banana-edit"
    assert (kept.folder / "view-back.png").read_bytes() == fake_api.photo
    library.close()


def test_drawing_views_is_refused_where_it_makes_no_sense(fake_api):
    env = {"AIML_API_BASE": fake_api.base_url}
    chair = str(corpus_file("images/chair.png"))
    said = [
        one_error_line(run("generate", "--draw-views", "back", chair, env=env)),
        one_error_line(
            run("generate", "--model", "magic/image-to-3d", "--draw-views", "top", chair, env=env)
        ),  # fmt: skip
        one_error_line(
            run(
                "generate",
                "--model",
                "magic/image-to-3d",
                "--draw-views",
                "back",
                "--view",
                f"back={chair}",
                chair,
                env=env,
            )
        ),  # fmt: skip
        one_error_line(run("generate", "--edit-model", "x/y", chair, env=env)),
    ]
    assert "triposr takes one picture; --draw-views is for magic/image-to-3d" in said[0]
    assert "is not sides among left, back, right" in said[1]
    assert "the back view is given and to be drawn" in said[2]
    assert "--edit-model goes with --draw-views" in said[3]
    assert fake_api.calls("api") == []


def test_a_model_is_compared_with_its_photo_and_the_verdict_kept(fake_api):
    """`aiml3d check-likeness ENTRY`: the photo and renders of the model go to the checker;
    its verdict is printed and kept in the entry; a dry run sends nothing; an entry without
    a photo says so."""
    from tests.fake_api import CHAT, DEFAULT_VERDICT

    env = {"AIML_API_BASE": fake_api.base_url}
    chair = str(corpus_file("images/chair.png"))
    assert run("generate", chair, "--backend", "local", env=env).returncode == 0
    (entry,) = entries()
    dry = run("check-likeness", entry["id"], "--dry-run", key=fake_api.KEY, env=env)
    assert dry.returncode == 0 and "comparing chair from the front" in dry.stderr
    assert fake_api.calls("api") == []
    done = run("check-likeness", entry["id"], "--json", key=fake_api.KEY, env=env)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["match"] == DEFAULT_VERDICT["match"] and said["model"] == "openai/gpt-4o"
    (sent,) = [c.body for c in fake_api.calls("api") if c.path == CHAT]
    pictures = [p for p in sent["messages"][1]["content"] if p["type"] == "image_url"]
    assert len(pictures) == 2  # the photo, and the model from the front
    shown = run("check-likeness", entry["id"], key=fake_api.KEY, env=env).stdout
    assert shown.startswith("chair: 0.72 match; missing: the carved legs")
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library

    library = Library(settings.load()[0].library_path)
    assert library.get(entry["id"]).extra["verdict"]["missing"] == ["the carved legs"]
    library.close()
    box = corpus_file("meshes/BoxTextured.glb")
    imported = json.loads(run("library", "import", box, "--json").stdout)[0]["id"]
    assert "keeps no photo to compare with" in one_error_line(
        run("check-likeness", imported, key=fake_api.KEY, env=env)
    )


def test_a_batch_compares_its_models_only_when_asked_with_the_cost_counted(fake_api, tmp_path):
    """Comparing is off by default in batch runs (it costs money); --compare-with-photo
    counts the checker's call in the estimate and compares each model made."""
    from tests.conftest import make_photo
    from tests.fake_api import CHAT

    env = {"AIML_API_BASE": fake_api.base_url}
    folder = tmp_path / "shoot"
    folder.mkdir()
    for n in range(2):
        make_photo(folder / f"p{n}.png")
    plain = run("generate", folder, "--dry-run", key=fake_api.KEY, env=env)
    asked = run("generate", folder, "--compare-with-photo", "--dry-run", key=fake_api.KEY, env=env)
    assert "not known yet" not in plain.stdout and "chat/completions" not in plain.stdout
    assert "some of it not known yet" in asked.stdout  # the checker's cost: none known yet
    assert asked.stdout.count('POST /v1/chat/completions {"model": "openai/gpt-4o"') == 2
    made = run("generate", folder, key=fake_api.KEY, env=env)
    assert made.returncode == 0 and not [c for c in fake_api.calls("api") if c.path == CHAT]
    compared = run("generate", folder, "--compare-with-photo", key=fake_api.KEY, env=env)
    assert compared.returncode == 0, compared.stderr
    assert compared.stdout.count("compared with its photo: 0.72 match") == 2
    assert len([c for c in fake_api.calls("api") if c.path == CHAT]) == 2
    assert "drop --no-library" in one_error_line(
        run("generate", folder, "--compare-with-photo", "--no-library", key=fake_api.KEY, env=env)
    )


def test_what_cannot_be_drawn_or_compared_offline_is_refused_and_files_are_kept(fake_api, tmp_path):
    env = {"AIML_API_BASE": fake_api.base_url}
    chair = str(corpus_file("images/chair.png"))
    magic = ("--model", "magic/image-to-3d")
    assert "not with --backend local" in one_error_line(
        run("generate", *magic, "--draw-views", "back", "--backend", "local", chair, env=env)
    )
    assert "nothing to compare" in one_error_line(
        run("generate", "--compare-with-photo", "--backend", "local", chair, env=env)
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "view-back.png").write_bytes(b"the user's own file")
    made = run("generate", *magic, "--draw-views", "back", "--no-library", "-o", out, chair,
               key=fake_api.KEY, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (out / "view-back.png").read_bytes() == b"the user's own file"
    assert (out / "view-back-2.png").is_file()


def test_a_likeness_edited_by_hand_is_measured_again_not_a_crash():
    import json as js

    chair = str(corpus_file("images/chair.png"))
    assert run("generate", chair, "--backend", "local").returncode == 0
    (entry,) = entries()
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library

    library = Library(settings.load()[0].library_path)
    library.keep(entry["id"], "likeness", {"silhouette_iou": "x"})
    library.close()
    shown = run("info", entry["id"], "--json")
    assert shown.returncode == 0 and js.loads(shown.stdout)["likeness"]["silhouette_iou"] > 0.9
