"""Drawing the views a photo lacks (issue 31, item 1) against the fake API on 127.0.0.1: the
editing model's documented body (the prepared front inline, a seed in range), its picture
as a link or inline base64, and an answer that is not a picture is one clear error with
nothing written."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from aiml3d_desktop.core.common.errors import ApiError, InputError
from aiml3d_desktop.core.generation import jobs, views
from aiml3d_desktop.core.pictures import images
from tests.conftest import FAST, corpus_file


@pytest.fixture
def front():
    return images.prepare(str(corpus_file("images/chair.png")), 512, 0.85)


@pytest.fixture
def options(fake_api):
    return jobs.JobOptions(fake_api.KEY, fake_api.base_url, retry=FAST)


def png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("fault", ["", "b64"])
def test_a_side_is_drawn_from_the_front_as_sent(fake_api, options, front, tmp_path, fault):
    fake_api.drawn["back"] = png("navy")
    if fault:
        fake_api.queue(fault)
    made = views.draw_view(front, "back", options, tmp_path / "view-back", seed=7)
    assert made.path == tmp_path / "view-back.png" and made.path.read_bytes() == png("navy")
    (sent,) = [c.body for c in fake_api.calls("api")]
    assert sent["model"] == "google/nano-banana-edit" and sent["seed"] == 7
    assert sent["image_urls"] == [front.image_url]  # the prepared front, inline
    assert sent["image_urls"][0].startswith("data:image/png;base64,")
    assert "behind" in sent["prompt"] and "plain background" in sent["prompt"]
    assert made.as_json() == {
        "model": "google/nano-banana-edit", "seed": 7, "request_id": made.request_id,
        "credits_used": 42000, "file": "view-back.png",
    }  # fmt: skip


def test_what_is_not_a_picture_is_refused_and_nothing_is_written(
    fake_api, options, front, tmp_path
):
    fake_api.queue("not-a-picture")
    with pytest.raises(InputError, match="not an image"):
        views.draw_view(front, "left", options, tmp_path / "view-left")
    assert list(tmp_path.iterdir()) == []


def test_base64_that_is_not_is_one_clear_error():
    with pytest.raises(Exception, match="not readable base64"):
        views._inline("data:image/png;base64,@@@not base64@@@")
    assert views._inline("data:image/png;base64," + base64.b64encode(b"x").decode()) == b"x"


def test_a_model_that_does_not_edit_is_refused_naming_it(fake_api, options, front, tmp_path):
    with pytest.raises(ApiError) as raised:  # a text-to-image model: no image_urls
        views.draw_view(front, "right", options, tmp_path / "v", model="flux/schnell")
    assert raised.value.status == 400
    assert "flux/schnell is an image-editing model" in (raised.value.hint or "")


def test_sides_are_read_strictly():
    assert views.parse_sides(" Left, back ") == ["left", "back"]
    for bad in ("", "front", "left,left", "top"):
        with pytest.raises(ValueError):
            views.parse_sides(bad)


def test_views_go_with_a_front_drawn_from_a_prompt(fake_api, options, tmp_path):
    """A front drawn from words, and its back drawn from that: both are sent to the
    multi-view model (the views were dropped once)."""
    from aiml3d_desktop.core.api.models import ModelParams

    drawing = jobs.draw("a red armchair", options)
    front = images.prepare(drawing.url, 512, None)
    back = views.draw_view(front, "back", options, tmp_path / "view-back")
    result = jobs.generate_any(
        drawing.url, drawing, ModelParams("magic/image-to-3d", {}), tmp_path, options,
        views={"back": str(back.path)},
    )  # fmt: skip
    assert result.generation.details["views"] == {"back": str(back.path)}
    sent = fake_api.calls("api")[-1].body
    assert sent["model"] == "magic/image-to-3d" and "back_image_url" in sent
