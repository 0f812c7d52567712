"""Fixtures of the core tests: an empty library, and job options against the fake API."""

from __future__ import annotations

import numpy as np
import pytest

from aiml3d_desktop.core.library.store import Library


@pytest.fixture
def library(tmp_path):
    """An empty library of its own (not AIML3D_HOME's), closed after the test."""
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def job_options(fake_api):
    """Options for jobs.generate against the fake API, with short waits so faults are quick."""
    from aiml3d_desktop.core.generation.jobs import JobOptions
    from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts

    return JobOptions(
        api_key=fake_api.KEY,
        base_url=fake_api.base_url,
        timeouts=Timeouts(connect=2, read=2, download_read=2),
        retry=RetryPolicy(attempts=2, backoff=0.01, jitter=0.01),
    )


@pytest.fixture
def folder(tmp_path):
    """(Composed scenes.) A box (1 x 2 x 1 m, red, centred on the origin) and a textured
    ball of radius 0.5, as box.glb and ball.glb."""
    import trimesh
    from PIL import Image

    box = trimesh.creation.box((1.0, 2.0, 1.0))
    box.visual.vertex_colors = [200, 40, 40, 255]
    box.export(tmp_path / "box.glb")
    ball = trimesh.creation.uv_sphere(0.5, count=(16, 16))
    texture = Image.new("RGB", (8, 8), (30, 200, 60))
    uv = np.column_stack([ball.vertices[:, 0] + 0.5, ball.vertices[:, 1] + 0.5])
    ball.visual = trimesh.visual.TextureVisuals(uv=uv, image=texture)
    ball.export(tmp_path / "ball.glb")
    return tmp_path
