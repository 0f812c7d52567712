"""The whole pipeline against the fake API: a checked mesh in the folder, or nothing at all."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled, DownloadError
from aiml3d_desktop.core.common.fileio import safe_filename
from aiml3d_desktop.core.common.stages import Stage
from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.meshes import mesh
from tests.conftest import files_in


def test_generate_from_file_writes_a_loaded_mesh(fake_api, job_options, photo, tmp_path):
    stages = []
    out = tmp_path / "out"
    result = jobs.generate(
        str(photo), TriposrParams(), out, job_options, progress=lambda s, d, t: stages.append(s)
    )
    assert result.mesh_path == out / "chair.glb"
    assert result.mesh_path.read_bytes() == fake_api.glb
    assert files_in(out) == ["chair.glb"]
    assert result.loaded.stats.triangles == len(fake_api.mesh.faces)
    assert result.loaded.arrays.colors is not None  # the vertex colours survived
    order = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
    assert order == [
        Stage.PREPARING,
        Stage.UPLOADING,
        Stage.GENERATING,
        Stage.DOWNLOADING,
        Stage.LOADING,
    ]
    meta = result.generation.as_dict()
    assert meta["request_id"] and meta["credits_used"] == 182000
    assert meta["params"] == TriposrParams().as_dict()
    assert meta["file_size"] == len(fake_api.glb) and meta["source_kind"] == "file"
    # The key went to the API host only, never to the CDN.
    assert all("Authorization" not in r.headers for r in fake_api.calls("cdn"))
    assert len(fake_api.calls("cdn")) == 1


def test_generate_from_url_and_as_obj(fake_api, job_options, tmp_path):
    params = TriposrParams(output_format="obj")
    result = jobs.generate("https://example.com/pics/robot.png?x=1", params, tmp_path, job_options)
    assert result.mesh_path.name == "robot.obj"
    assert fake_api.calls("api")[0].body["image_url"] == "https://example.com/pics/robot.png?x=1"
    assert result.loaded.stats.vertices == len(fake_api.mesh.vertices)


def test_names_never_overwrite(fake_api, job_options, photo, tmp_path):
    first = jobs.generate(str(photo), TriposrParams(), tmp_path / "o", job_options).mesh_path
    second = jobs.generate(str(photo), TriposrParams(), tmp_path / "o", job_options).mesh_path
    assert (first.name, second.name) == ("chair.glb", "chair-2.glb")


def test_hostile_file_name_stays_inside_the_output_folder(fake_api, job_options, photo, tmp_path):
    out = tmp_path / "deep" / "out"
    fake_api.queue("hostile-name")
    result = jobs.generate(str(photo), TriposrParams(), out, job_options)
    assert result.mesh_path.parent == out
    assert files_in(tmp_path / "deep") == ["out/chair.glb"]
    assert result.generation.details["server_file_name"] == "evil.glb"


@pytest.mark.parametrize(
    "name, fmt, expected",
    [
        ("../../evil.glb", "glb", "evil.glb"),
        ("..\\..\\windows\\evil.glb", "glb", "evil.glb"),
        ("/etc/passwd", "glb", "passwd.glb"),
        ("model.exe", "obj", "model.obj"),
        ("..", "glb", "model.glb"),
        ("a\x00b<>:|?*.glb", "glb", "a_b.glb"),
        (".hidden.glb", "glb", "hidden.glb"),
        (None, "obj", "model.obj"),
        ("x" * 300 + ".glb", "glb", "x" * 80 + ".glb"),
    ],
)
def test_safe_filename(name, fmt, expected):
    assert safe_filename(name, fmt) == expected


@pytest.mark.parametrize(
    "fault, words",
    [
        ("truncated", "broke off before it was complete"),
        ("wrong-type", "web page instead of a mesh"),
        ("not-mesh", "not a whole GLB file"),
        ("oversize", "larger than the 1 MiB limit"),
        ("oversize-chunked", "larger than the 1 MiB limit"),
        ("cdn-404", "HTTP 404"),
    ],
)
def test_download_faults_leave_nothing_behind(fake_api, job_options, photo, tmp_path, fault, words):
    out = tmp_path / "out"
    fake_api.queue(fault)
    with pytest.raises(DownloadError) as info:
        jobs.generate(str(photo), TriposrParams(), out, replace(job_options, max_download=2**20))
    assert words in str(info.value)
    assert files_in(out) == []


def test_obj_that_is_not_an_obj_is_refused(fake_api, job_options, photo, tmp_path):
    fake_api.queue("not-mesh")
    with pytest.raises(DownloadError, match="not an OBJ file"):
        jobs.generate(str(photo), TriposrParams(output_format="obj"), tmp_path, job_options)
    assert files_in(tmp_path) == ["chair.png"]


@pytest.mark.parametrize("fault", ["401", "403", "429", "500", "504", "drop", "bad-shape"])
def test_api_faults_leave_nothing_behind(fake_api, job_options, photo, tmp_path, fault):
    fake_api.queue(*[fault] * 3)
    key = "bad" if fault == "401" else job_options.api_key
    with pytest.raises(Aiml3DError):
        jobs.generate(
            str(photo), TriposrParams(), tmp_path / "out", replace(job_options, api_key=key)
        )
    assert files_in(tmp_path / "out") == []


def test_cancel_during_download_is_prompt_and_clean(fake_api, job_options, photo, tmp_path):
    fake_api.queue("slow-download")
    token = CancelToken()
    seen = threading.Event()

    def progress(stage, done, total):
        if stage is Stage.DOWNLOADING and done:
            seen.set()
            token.cancel()

    with pytest.raises(Cancelled):
        jobs.generate(
            str(photo),
            TriposrParams(),
            tmp_path / "out",
            job_options,
            progress=progress,
            cancel=token,
        )
    assert seen.is_set()
    assert files_in(tmp_path / "out") == []


def test_a_served_mesh_that_does_not_load_is_not_kept(fake_api, job_options, photo, tmp_path):
    # A GLB header that is right, over a body that is not a glTF scene.
    bogus = b"glTF" + (2).to_bytes(4, "little") + (32).to_bytes(4, "little") + bytes(20)
    fake_api.glb = bogus
    with pytest.raises(Aiml3DError, match="^chair.glb is damaged: its JSON chunk is missing"):
        jobs.generate(str(photo), TriposrParams(), tmp_path / "out", job_options)
    assert files_in(tmp_path / "out") == []


def test_downloaded_mesh_matches_what_the_server_made(fake_api, job_options, photo, tmp_path):
    result = jobs.generate(str(photo), TriposrParams(), tmp_path, job_options)
    again = mesh.load(result.mesh_path)
    assert np.allclose(
        np.sort(again.arrays.positions, axis=0),
        np.sort(fake_api.mesh.vertices.astype(np.float32), axis=0),
        atol=1e-6,
    )


@pytest.mark.parametrize("shape", ["ok", "generic"])
def test_text_to_3d_chain(fake_api, job_options, tmp_path, shape):
    """The prompt (with the suffix) goes to the picture model, the picture's link to TripoSR;
    the library keeps the prompt, the picture and both requests."""
    from aiml3d_desktop.core.api.params import PROMPT_SUFFIX
    from aiml3d_desktop.core.library.store import Library

    fake_api.queue(shape)
    lib = Library(tmp_path / "lib")
    entry, result = jobs.generate_to_library(
        lib, "", TriposrParams(), job_options, prompt="a red armchair"
    )
    picture_call, mesh_call = fake_api.calls("api")
    prompt = "a red armchair" + PROMPT_SUFFIX
    assert picture_call.body == {
        "model": "flux/schnell",
        "prompt": prompt,
        "image_size": "square_hd",
        "num_images": 1,
    }
    picture_url = mesh_call.body["image_url"]
    assert picture_url.startswith(fake_api.cdn_url + "/images/")  # sent as a link
    assert entry.title == "a red armchair" and entry.source_kind == "prompt"
    assert entry.mesh_file == "a red armchair.glb"
    assert (entry.folder / "source.png").read_bytes() == fake_api.photo
    assert entry.extra["text_to_image"]["url"] == picture_url
    assert result.loaded.stats.triangles == len(fake_api.mesh.faces)


def test_text_to_3d_errors_leave_nothing(fake_api, job_options, tmp_path):
    from aiml3d_desktop.core.library.store import Library

    lib = Library(tmp_path / "lib")
    with pytest.raises(Aiml3DError, match="Type what to make"):
        jobs.generate_to_library(lib, "", TriposrParams(), job_options, prompt="  ")
    fake_api.queue("403")
    with pytest.raises(Aiml3DError, match="credits"):
        jobs.generate_to_library(lib, "", TriposrParams(), job_options, prompt="a lamp")
    fake_api.queue("bad-shape")
    with pytest.raises(Aiml3DError, match="holds no picture"):
        jobs.generate_to_library(lib, "", TriposrParams(), job_options, prompt="a lamp", suffix="")
    assert lib.count() == 0 and list(lib.staging_dir.iterdir()) == []
