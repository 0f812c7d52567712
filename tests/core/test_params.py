from __future__ import annotations

import pytest

from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.errors import InputError


def test_defaults_are_the_documented_ones():
    assert TriposrParams().body("https://x/y.png") == {
        "model": "triposr",
        "image_url": "https://x/y.png",
        "output_format": "glb",
        "do_remove_background": True,
        "foreground_ratio": 0.9,
        "mc_resolution": 256,
    }


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"output_format": "stl"}, "Output format"),
        ({"foreground_ratio": 0.4}, "Foreground ratio"),
        ({"foreground_ratio": 1.01}, "Foreground ratio"),
        ({"foreground_ratio": True}, "Foreground ratio"),
        ({"mc_resolution": 31}, "Marching-cubes"),
        ({"mc_resolution": 1025}, "Marching-cubes"),
        ({"mc_resolution": 256.0}, "Marching-cubes"),
        ({"do_remove_background": "yes"}, "Background removal"),
    ],
)
def test_invalid_values_are_refused(kwargs, words):
    with pytest.raises(InputError, match=words):
        TriposrParams(**kwargs).validate()


def test_edges_are_allowed_and_high_resolution_warns():
    assert TriposrParams(foreground_ratio=0.5, mc_resolution=32).validate().warnings == []
    params = TriposrParams(foreground_ratio=1, mc_resolution=1024).validate()
    assert "not recommended" in params.warnings[0]
