"""Compare with the photo (issue 31, item 2) against the fake API on 127.0.0.1: the photo and
the renders sent as pictures a chat model sees, the verdict read strictly (NaN, out of
range, unknown fields, a refusal each get one retry with the error quoted, then one
message)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from aiml3d_desktop.core.api.client import AimlClient
from aiml3d_desktop.core.assets import verdict
from aiml3d_desktop.core.assets.verdict import VerdictError
from tests.conftest import FAST
from tests.fake_api import CHAT, DEFAULT_VERDICT


@pytest.fixture
def client(fake_api):
    return AimlClient(fake_api.KEY, fake_api.base_url, retry=FAST)


def picture(fmt="PNG", colour="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, fmt)
    return out.getvalue()


def test_the_photo_and_each_render_go_as_pictures_and_the_verdict_comes_back(fake_api, client):
    photo = picture("JPEG")
    renders = {"front": picture(colour="red"), "back": picture(colour="blue")}
    got = verdict.check(client, photo, renders, "openai/gpt-4o")
    assert got.as_json() == {**DEFAULT_VERDICT, "model": "openai/gpt-4o"}
    assert got.line == "0.72 match; missing: the carved legs; wrong: the seat is too thick"
    (sent,) = [r.body for r in fake_api.calls("api") if r.path == CHAT]
    schema = sent["response_format"]["json_schema"]
    assert schema["name"] == "likeness_verdict" and schema["strict"] is True
    parts = sent["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"] * 3
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert "from the back" in parts[4]["text"]
    sent_back = base64.b64decode(parts[5]["image_url"]["url"].split(",", 1)[1])
    assert sent_back == renders["back"]
    assert fake_api.KEY not in json.dumps(sent)


@pytest.mark.parametrize(
    "answer, said",
    [
        ('{"match": NaN, "missing": [], "wrong": [], "notes": ""}', "not a number JSON allows"),
        ({**DEFAULT_VERDICT, "match": 1.5}, "from 0 to 1"),
        ({**DEFAULT_VERDICT, "match": "high"}, "match is not a number"),
        ({**DEFAULT_VERDICT, "extra": 1}, "exactly match, missing, wrong, notes"),
        ({**DEFAULT_VERDICT, "missing": ["x"] * 40}, "at most 12"),
        ({**DEFAULT_VERDICT, "notes": "\x1b[2J"}, "not printable"),
        ('{"match": 1, "match": 0, "missing": [], "wrong": [], "notes": ""}', "given twice"),
        ("not json", "not JSON"),
    ],
)
def test_every_bad_verdict_is_one_verdict_error_saying_what(answer, said):
    text = answer if isinstance(answer, str) else json.dumps(answer)
    with pytest.raises(VerdictError, match=said):
        verdict.read_verdict(text)


def test_a_bad_answer_is_asked_again_with_its_error_then_one_message(fake_api, client):
    fake_api.plans.extend(['{"match": NaN}', DEFAULT_VERDICT])
    assert verdict.check(client, picture(), {"front": picture()}, "m/x").match == 0.72
    retry = [r.body for r in fake_api.calls("api") if r.path == CHAT][-1]
    assert retry["messages"][-2] == {"role": "assistant", "content": '{"match": NaN}'}
    assert "could not be used" in retry["messages"][-1]["content"]
    fake_api.plans.extend(["refusal", "refusal"])
    with pytest.raises(VerdictError, match="checker gave no answer"):
        verdict.check(client, picture(), {"front": picture()}, "m/x")


def test_what_is_not_a_picture_is_not_sent(fake_api, client):
    with pytest.raises(Exception, match="not a PNG, JPEG or WEBP"):
        verdict.check(client, b"GIF89a....", {"front": picture()}, "m/x")
    assert fake_api.calls("api") == []


JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers(-(10**400), 10**400)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["match", "missing", "wrong", "notes", "data", "url", "b64_json",
                         "requestId", "images"]),
        inner, max_size=5),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_any_verdict_answer_is_a_verdict_or_a_verdict_error(data):
    try:
        text = json.dumps(data)
    except ValueError:
        return
    try:
        found = verdict.read_verdict(text)
    except VerdictError:
        return
    assert 0 <= found.match <= 1 and all(isinstance(t, str) for t in found.missing)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_any_editing_answer_is_a_picture_link_or_one_clear_error(data):
    from aiml3d_desktop.core.api.client import _edited_picture
    from aiml3d_desktop.core.common.errors import BadResponseError

    if not isinstance(data, dict):
        data = {"data": data}
    try:
        link = _edited_picture(data)
    except BadResponseError:
        return
    assert link.url.startswith(("http://", "https://", "data:image/png;base64,"))
