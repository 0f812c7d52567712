"""The offline generator: a closed, coloured relief from one picture, with no key and no
network, on synthetic pictures and on the corpus photos."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image, ImageDraw

from aiml3d_desktop.core.api.params import LOCAL_MODEL, TriposrParams
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.pictures import relief
from tests.conftest import corpus_file, make_photo


def as_mesh(made: relief.Relief) -> trimesh.Trimesh:
    return trimesh.Trimesh(made.vertices, made.faces, vertex_colors=made.colors, process=False)


def check_solid(made: relief.Relief) -> trimesh.Trimesh:
    mesh = as_mesh(made)
    assert mesh.is_watertight and mesh.is_winding_consistent  # printable: closed, one side out
    assert mesh.volume > 0  # outward normals
    assert 50_000 <= len(made.faces) <= 100_000
    assert made.colors.shape == (len(made.vertices), 4)
    return mesh


def rgba(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"))


def test_transparent_picture_gives_a_closed_coloured_cushion(tmp_path):
    made = relief.make_relief(rgba(Image.open(make_photo(tmp_path / "p.png", size=(400, 300)))))
    mesh = check_solid(made)
    front = made.vertices[:, 2] > 0
    reds = made.colors[front][:, :3]
    assert (reds[:, 0] > 150).mean() > 0.95 and (reds[:, 1] < 80).mean() > 0.95  # the red disc
    extent = mesh.extents
    assert extent[2] < extent[0] and extent[2] > 0.2 * extent[0]  # a relief, not a flat sheet
    # The middle bulges more than the rim, at the front more than at the back.
    z = made.vertices[:, 2]
    assert z.max() > 2 * z[front].min() and z.max() > -z.min()


def test_plain_background_without_alpha_is_flood_filled(tmp_path):
    image = Image.new("RGB", (300, 300), (250, 250, 250))
    ImageDraw.Draw(image).rectangle((60, 90, 240, 210), fill=(30, 90, 200))
    ImageDraw.Draw(image).ellipse((120, 20, 180, 80), fill=(30, 90, 200))  # a separate blob
    made = relief.make_relief(rgba(image))
    check_solid(made)
    assert made.mask_share == pytest.approx(180 * 120 / 300**2, rel=0.1)  # the main object only
    blue = made.colors[:, 2] > 150
    assert blue.mean() > 0.9


def test_shapes_with_pinches_and_holes_stay_watertight():
    """Pixels touching only at corners, holes and thin arms are where closing a surface fails."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 236, 236), fill=(200, 200, 0, 255))
    draw.ellipse((90, 90, 166, 166), fill=(0, 0, 0, 0))  # a hole through it
    draw.line((0, 0, 255, 255), fill=(200, 200, 0, 255), width=5)  # a diagonal arm
    rng = np.random.default_rng(1)
    pixels = np.asarray(image).copy()
    noise = rng.random((256, 256)) < 0.02
    pixels[noise, 3] = 255 - pixels[noise, 3]  # speckles in and out
    check_solid(relief.make_relief(pixels))


def test_a_picture_with_no_object_is_a_clear_error():
    with pytest.raises(InputError, match="No object"):
        relief.make_relief(np.zeros((64, 64, 4), np.uint8))  # all transparent
    with pytest.raises(InputError, match="No object"):
        relief.make_relief(rgba(Image.new("RGB", (64, 64), (10, 200, 10))))  # all background
    hazy = np.full((64, 64, 4), 200, np.uint8)  # half-transparent from edge to edge
    with pytest.raises(InputError, match="whole picture"):
        relief.make_relief(hazy)


@pytest.mark.parametrize("name", ["chair.png", "hamburger.png", "robot.png"])
def test_corpus_photos(name):
    photo = corpus_file("images", name)
    made = relief.make_relief(rgba(Image.open(photo)))
    check_solid(made)
    assert made.colors[:, :3].std() > 20  # coloured from the photo, not one flat colour


def test_local_backend_into_the_library_without_key_or_network(tmp_path, photo):
    lib = Library(tmp_path / "lib")
    options = jobs.JobOptions(api_key=None, base_url="https://unreachable.invalid", backend="local")
    entry, result = jobs.generate_to_library(lib, str(photo), TriposrParams(), options)
    assert entry.model == LOCAL_MODEL and entry.request_id is None and entry.credits is None
    assert entry.stats["watertight"] and entry.mesh_path.suffix == ".glb"
    assert result.loaded.arrays.colors is not None
    assert (entry.folder / "source.png").read_bytes() == photo.read_bytes()
