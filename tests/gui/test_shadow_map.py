"""The shadow map's projection (issue 29): fitted around the scene, nearest the sun first."""

from __future__ import annotations

import numpy as np
import pytest

from aiml3d_desktop.gui.widgets import shadow_map


@pytest.mark.parametrize("sun", [(1.0, -2.0, 3.0), (0.0, 0.0, 1.0), (0.3, 0.1, 0.05)])
def test_the_map_holds_the_whole_scene_and_its_depth_grows_away_from_the_sun(sun):
    low, high = np.array([-2.0, -1.0, 0.0]), np.array([3.0, 1.5, 2.0])
    corners = np.array(np.meshgrid(*np.stack([low, high]).T)).T.reshape(-1, 3)
    matrix, bias = shadow_map.light_matrix(np.array(sun), corners)
    clip = np.c_[corners, np.ones(8)] @ matrix.T
    assert np.allclose(clip[:, 3], 1.0)  # parallel: no division
    assert (np.abs(clip[:, :3]) < 1.0).all()  # all of it inside, with a margin
    assert np.abs(clip[:, :3]).max() > 0.9  # and fitted: not a speck in the middle
    towards = np.array(sun) / np.linalg.norm(sun)
    nearer = np.r_[corners[0] + 0.5 * towards, 1.0] @ matrix.T
    assert nearer[2] < clip[0, 2]  # towards the sun: less deep
    assert nearer[:2] == pytest.approx(clip[0, :2])  # along the sun: the same texel
    assert 0 < bias < 0.01
