"""What the pipeline (jobs.py) hands on: typed data for the library, the command line and
the window. Kept apart from the pipeline so that those can name these types without
importing it (and it, them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from aiml3d_desktop import __version__
from aiml3d_desktop.core.api.calls import now
from aiml3d_desktop.core.meshes.mesh import LoadedMesh
from aiml3d_desktop.core.pictures.images import PreparedImage


@dataclass
class Generation:
    """How a model was made: kept in its library entry, and in the ``NAME.glb.json`` beside
    a copy written elsewhere."""

    source: str  # the picture's path or link; for text to 3D, the prompt
    source_kind: str  # file, url or prompt
    model: str  # "triposr", or params.LOCAL_MODEL for the offline relief
    params: dict
    created: str = field(default_factory=now)
    request_id: str | None = None
    timings: dict = field(default_factory=dict)
    credits_used: float | None = None
    file_size: int | None = None
    mesh: dict = field(default_factory=dict)  # MeshStats.as_dict()
    elapsed_s: float = 0.0
    title: str | None = None  # text to 3D: the start of the prompt
    # The rest, kept as it is: the app's version, the API base, the size sent, the
    # framing's notes, the text-to-image request...
    details: dict = field(default_factory=lambda: {"app_version": __version__})

    def as_dict(self) -> dict:
        """Flat, as the JSON beside an exported mesh has always been."""
        data = asdict(self)
        details = data.pop("details")
        if data["title"] is None:
            del data["title"]
        return {**data, **details}


@dataclass
class JobResult:
    mesh_path: Path
    loaded: LoadedMesh
    image: PreparedImage
    generation: Generation
    picture: bytes | None = None  # the picture a text prompt became, kept with the model
    # Further files the answer listed, downloaded beside the mesh: {"role", "file", "size"}.
    outputs: list[dict] = field(default_factory=list)


@dataclass
class Drawing:
    """The picture a text-to-image model drew for a prompt: the first half of text to 3D."""

    prompt: str
    suffix: str
    model: str
    url: str  # on the model's CDN; TripoSR is given this link, so nothing is re-uploaded
    request_id: str | None
    credits_used: float | None
    picture: bytes  # checked to be a readable picture
