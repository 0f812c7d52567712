"""Issue 25's hostile assets: turntables that would exhaust memory, files that only pretend to
be meshes, meshes too large for the machine. Each is refused in one clear message before
the work starts, or handled in bounded memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from aiml3d_desktop.core.api import download
from aiml3d_desktop.core.api.answers import MeshLink
from aiml3d_desktop.core.common.errors import DownloadError, MeshLoadError
from aiml3d_desktop.core.look import turntable
from aiml3d_desktop.core.meshes import mesh, meshcheck
from tests.conftest import corpus_file, files_in

# A child process writes a turntable of synthetic frames, made on demand as the renderer
# makes them, and prints how far its own peak memory rose while writing, and ffmpeg's peak.
_ENCODE = """
import re, resource, sys
from pathlib import Path
import numpy as np
from aiml3d_desktop.core.look.turntable import write_animation

class Frames:
    def __init__(self, count, side):
        x = np.linspace(0, 1, side, dtype=np.float32)[None, :]
        y = x.T
        self.base = np.empty((side, side, 3), np.uint8)
        self.base[..., 0] = 255 * x * y
        self.base[..., 1] = 255 * (1 - x) * y
        self.base[..., 2] = 128 + 127 * np.sin(12 * x + 7 * y)
        self.count = count
    def __len__(self):
        return self.count
    def __getitem__(self, k):
        if not 0 <= k < self.count:
            raise IndexError(k)
        return np.roll(self.base, k * self.base.shape[1] // self.count, axis=1)

suffix, count, side, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
frames = Frames(count, side)
frames[0]
def peak():  # this address space's own (ru_maxrss would count pytest's, forked at exec)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
before = peak()
write_animation(frames, out, 12)
grown = peak() - before
print(grown * 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def peak_while_writing(tmp_path, suffix: str, frames: int, side: int) -> int:
    """Bytes held at the peak of writing ``frames`` frames ``side`` pixels square: what this
    process grew by, and ffmpeg's whole process (counted as if both peaked together)."""
    out = tmp_path / f"turn{frames}{suffix}"
    done = subprocess.run(
        [sys.executable, "-c", _ENCODE, suffix, str(frames), str(side), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
    grown, ffmpeg = (int(n) for n in done.stdout.split())
    return grown + ffmpeg


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".mp4"])
def test_the_turntable_estimate_holds_what_each_encoder_keeps(tmp_path, suffix):
    """The frames are made as the encoder asks for them: only what an encoder keeps grows
    with their number, and the estimate is never below what is really held (issue 25,
    case 5: a 2 GB check let 7.39 GB through, every frame held several times over)."""
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs ffmpeg (tools/debian-packages.txt): it is missing")
        pytest.skip("no ffmpeg here (CI installs it)")
    side, few, many = 1024, 2, 26
    small = peak_while_writing(tmp_path, suffix, few, side)
    large = peak_while_writing(tmp_path, suffix, many, side)
    estimate = {n: turntable.memory_estimate(n, (side, side), suffix) for n in (few, many)}
    assert small <= estimate[few] and large <= estimate[many], (small, large, estimate)
    # Each further frame costs at most what the estimate says (a frame held whole would
    # cost 3 to 4 bytes a pixel in every format).
    assert large - small <= estimate[many] - estimate[few] + 4 * 2**20, (small, large, estimate)


def test_a_turntable_too_large_is_refused_naming_a_size_that_fits():
    with pytest.raises(turntable.InputError) as info:
        turntable.check_size(8, (8192, 6144), ".gif")
    message = str(info.value)
    assert "8 frames of 8192x6144 as GIF would need about 2.3 GB" in message, message
    fits = tuple(int(n) for n in message.split(" or smaller fits")[0].split()[-1].split("x"))
    assert fits[0] / fits[1] == pytest.approx(8192 / 6144, rel=0.01)
    turntable.check_size(8, fits, ".gif")  # what it names fits ...
    with pytest.raises(turntable.InputError):  # ... and is the largest that does
        turntable.check_size(8, (fits[0] + 16, fits[1] + 16), ".gif")


# A sign-in page as a CDN serves one when a link has expired: blank lines first.
SIGN_IN = b"\r\n\n\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body><form>" + (
    b"<input name=user>" * 10 + b"</form></body></html>\n"
)


def _ascii_stl() -> bytes:
    return trimesh.exchange.stl.export_stl_ascii(trimesh.creation.box()).encode()


def _sniffed(fmt: str, data: bytes) -> bool:
    return meshcheck.looks_like(fmt, data[: meshcheck.HEAD_BYTES], len(data))


def test_an_stl_is_told_from_a_web_page_by_its_structure():
    """Issue 25, case 9: any file of 84 bytes or more not starting with "<" passed as STL."""
    binary = corpus_file("meshes", "featuretype.STL").read_bytes()
    assert _sniffed("stl", binary)  # a real binary STL (its header starts "ddlid")
    assert _sniffed("stl", _ascii_stl()) and _sniffed("stl", b"\n  " + _ascii_stl())
    assert _sniffed("stl", corpus_file("meshes", "empty.stl").read_bytes())  # "solid"..."endsolid"
    assert not _sniffed("stl", SIGN_IN)
    assert not _sniffed("stl", binary[:-7])  # cut short
    # Padding after the last triangle is refused too: trimesh reads no other size.
    assert not _sniffed("stl", binary + bytes(2))
    assert not _sniffed("stl", b"solid x\n" + SIGN_IN)  # "solid", then no facets
    assert not _sniffed("stl", _ascii_stl()[:300])  # read whole, and no endsolid
    assert not _sniffed("stl", bytes(84))  # a header that counts no triangles


def test_glb_obj_and_ply_sniffers_want_their_structure():
    duck = corpus_file("meshes", "Duck.glb").read_bytes()
    assert _sniffed("glb", duck)
    assert not _sniffed("glb", duck[:4] + b"\1" + duck[5:])  # version 1
    assert not _sniffed("glb", duck[:-4])  # shorter than it says
    obj = corpus_file("meshes", "fuze.obj").read_bytes()
    assert _sniffed("obj", obj)
    for page in (SIGN_IN + b"v 1 2 3\n", b'{"error": "expired"}\nf 1 2 3\n', b"v 1\0 2 3\n"):
        assert not _sniffed("obj", page)
    ply = corpus_file("meshes", "bunny.ply").read_bytes()
    assert _sniffed("ply", ply)
    assert not _sniffed("ply", b"ply\n" + SIGN_IN) and not _sniffed("ply", SIGN_IN)


@pytest.mark.parametrize("fmt", ["stl", "glb", "obj", "ply"])
def test_a_web_page_is_never_kept_under_a_mesh_name(tmp_path, fmt):
    link = MeshLink(None, SIGN_IN, None, None, None, None)
    with pytest.raises(DownloadError, match="The server sent something that is not"):
        download.fetch(link, tmp_path / f"chair.{fmt}", fmt, check=lambda tmp: None)
    assert files_in(tmp_path) == []


def test_a_web_page_named_stl_is_said_to_be_text(tmp_path):
    page = tmp_path / "chair.stl"
    page.write_bytes(SIGN_IN)
    with pytest.raises(MeshLoadError, match="it is text, but not an STL file"):
        mesh.load(page)


_PREFIXES = [b"", b"glTF\x02\0\0\0", b"solid ", b"\n solid x\nfacet", b"ply\n", b"\xef\xbb\xbf"]


@settings(max_examples=300, deadline=None)
@given(
    fmt=st.sampled_from(["stl", "glb", "obj", "ply", "png", "nothing"]),
    prefix=st.sampled_from(_PREFIXES),
    data=st.binary(max_size=400),
    extra=st.integers(min_value=0, max_value=2**40),
)
def test_sniffers_never_raise(fmt, prefix, data, extra):
    head = prefix + data
    assert meshcheck.looks_like(fmt, head, len(head) + extra) in (True, False)
    assert meshcheck.looks_like(fmt, head, len(head)) in (True, False)


def test_same_or_inside_sees_through_links(tmp_path):
    from aiml3d_desktop.core.common.fileio import same_or_inside

    library, original = tmp_path / "library", tmp_path / "library" / "entries" / "a" / "m.glb"
    original.parent.mkdir(parents=True)
    original.write_bytes(b"glTF")
    (tmp_path / "soft.glb").symlink_to(original)
    os.link(original, tmp_path / "hard.glb")
    (tmp_path / "door").symlink_to(library / "entries")
    assert same_or_inside(tmp_path / "soft.glb", [original]) == original
    assert same_or_inside(tmp_path / "hard.glb", [original]) == original
    assert same_or_inside(tmp_path / "door" / "new.glb", [library]) == library
    assert same_or_inside(library / "not-yet" / ".." / "x.stl", [library]) == library
    assert same_or_inside(tmp_path / "elsewhere.glb", [original, library]) is None
    assert same_or_inside(tmp_path / "libraryX.glb", [library]) is None  # a prefix, not inside
    assert same_or_inside("nul\0name", [library]) is None
