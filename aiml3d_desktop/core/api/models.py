"""The AIML 3D models this app can call: what each takes, its parameters and how to read it.

Every 3D model is reached through the same ``POST /v1/images/generations``. A model here is
data: its id and aliases, its inputs (one picture, up to four views, or a mesh link), its
parameters with the documented type, range and default, which reader understands its
answer (core/api/answers.py), how long a call may take and what the answer reports it cost.
Adding a model is adding an entry to ``MODELS`` (and a test), nothing else.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field

from aiml3d_desktop.core.api import params as triposr
from aiml3d_desktop.core.common.errors import InputError

IMAGE, VIEWS, MESH = "image", "views", "mesh"  # what a model takes
VIEW_NAMES = ("front", "left", "back", "right")
CREDITS, USD = "credits", "usd"  # what an answer reports the call cost


@dataclass(frozen=True)
class Param:
    """One body parameter as the docs describe it."""

    name: str
    kind: str  # bool, int, float, choice or text
    default: object = None  # None: the service's own default (nothing is sent)
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    max_len: int | None = None
    tip: str = ""
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def check(self, value: object) -> object:
        """``value`` if it is one this parameter takes, else one clear InputError."""
        kind = self.kind
        name = f"{self.title} ({self.name})" if self.label else self.name
        if kind == "bool":
            if not isinstance(value, bool):
                raise InputError(f"{name} must be true or false, not {value!r}")
            return value
        if kind == "choice":
            if value not in self.choices:
                shown = self.range_text
                raise InputError(f"{name} must be {shown}, not {value!r}")
            return value
        if kind == "text":
            if not isinstance(value, str) or (self.max_len and len(value) > self.max_len):
                raise InputError(f"{name} must be text of at most {self.max_len} characters")
            return value
        whole = kind == "int"
        number = isinstance(value, int) if whole else isinstance(value, int | float)
        if isinstance(value, bool) or not number or not math.isfinite(value):  # type: ignore[arg-type]
            what = "a whole number" if whole else "a number"
            raise InputError(
                f"{name} must be {what}, not {value!r}", hint=f"It must be {self.range_text}."
            )
        if (self.low is not None and value < self.low) or (  # type: ignore[operator]
            self.high is not None and value > self.high  # type: ignore[operator]
        ):
            raise InputError(f"{name} must be {self.range_text}, not {value!r}")
        return value

    def parse(self, text: str) -> object:
        """A value typed on the command line (``--param KEY=VALUE``), checked."""
        raw = text.strip()
        value: object = raw
        if self.kind == "bool":
            words = {"true": True, "yes": True, "on": True, "1": True}
            words |= {"false": False, "no": False, "off": False, "0": False}
            value = words.get(raw.lower(), raw)
        elif self.kind in ("int", "float"):
            with contextlib.suppress(ValueError):  # check() says what is wrong
                value = int(raw) if self.kind == "int" else float(raw)
        return self.check(value)

    @property
    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(c or '""' for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "text":
            return f"text, at most {self.max_len} characters"
        low, high = self.low, self.high
        if low is not None and high is not None:
            return f"from {_num(low)} to {_num(high)}"
        return f"at least {_num(low)}" if low is not None else f"at most {_num(high)}"


@dataclass(frozen=True)
class Model:
    id: str
    title: str
    takes: str  # IMAGE, VIEWS or MESH
    inputs: dict[str, str]  # slot ("image", a view name, "mesh") -> body field
    answer: str  # the reader in core/api/answers.py: "mesh", "meshy" or "parts"
    summary: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # slots that must be given
    # How long one call may take; None: the timeout in the settings (3 minutes unless changed).
    minutes: float | None = None
    reports: str = CREDITS
    doc_cost: float | None = None  # the docs' figure for one call, in ``reports`` units
    send_defaults: bool = False  # send every parameter, not only those changed
    note: str = ""  # availability, caveats

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.params) or "none"
        raise InputError(
            f"{self.id} has no parameter {name!r}",
            hint=f"Its parameters: {known}. `aiml3d models` lists them all.",
        )

    def parse(self, pairs: list[str]) -> dict:
        """``KEY=VALUE`` texts (the command line's ``--param``), each checked."""
        values = {}
        for given in pairs:
            name, sep, text = given.partition("=")
            if not sep:
                raise InputError(f"--param {given!r} is not KEY=VALUE")
            values[name.strip()] = self.param(name.strip()).parse(text)
        return values

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params if p.default is not None}

    def check(self, values: dict) -> dict:
        """The values checked against the documented schema; unknown names refused."""
        return {name: self.param(name).check(value) for name, value in values.items()}

    def body(self, inputs: dict[str, str], values: dict) -> dict:
        """The JSON body: the model, its inputs and the parameters to send (all of them for
        a model that has always sent its defaults, else only those that differ)."""
        missing = [slot for slot in self.required if not inputs.get(slot)]
        if missing:
            raise InputError(f"{self.title} needs the {' and '.join(missing)} input")
        unknown = sorted(set(inputs) - set(self.inputs))
        if unknown:
            raise InputError(f"{self.title} takes no {', '.join(unknown)} input")
        values = self.check(values)
        chosen = {**self.defaults(), **values} if self.send_defaults else values
        if not self.send_defaults:
            chosen = {k: v for k, v in chosen.items() if v != self.param(k).default}
        body: dict = {"model": self.id}
        body.update({self.inputs[slot]: url for slot, url in inputs.items() if url})
        body.update(chosen)
        return body

    @property
    def cost_text(self) -> str:
        if self.doc_cost is None:
            return "reported per call" + (" in US dollars" if self.reports == USD else "")
        unit = "US dollars" if self.reports == USD else "credits"
        return f"about {self.doc_cost:,.0f} {unit} a call (the docs' example)"


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


TRIPOSR = Model(
    id=triposr.MODEL,
    title="TripoSR",
    takes=IMAGE,
    inputs={"image": "image_url"},
    required=("image",),
    answer="mesh",
    summary="A vertex-coloured mesh from one picture in a few seconds.",
    params=(
        Param(
            "output_format",
            "choice",
            "glb",
            choices=triposr.OUTPUT_FORMATS,
            label="Output format",
            tip="GLB keeps the vertex colours in one file; OBJ is plain text.",
        ),
        Param(
            "do_remove_background",
            "bool",
            True,
            label="Remove background",
            tip="Cut the object out of its background before building the model.",
        ),
        Param(
            "foreground_ratio",
            "float",
            0.9,
            *triposr.FOREGROUND_RATIO_RANGE,
            label="Foreground ratio",
            tip="How much of the frame the object fills once centred (0.5 to 1).",
        ),
        Param(
            "mc_resolution",
            "int",
            256,
            *triposr.MC_RESOLUTION_RANGE,
            label="Mesh resolution",
            tip="Marching-cubes resolution: the detail of the mesh (above 512 may time out).",
        ),
    ),
    doc_cost=182_000,
    send_defaults=True,
)

MAGIC = Model(
    id="magic/image-to-3d",
    title="Magic multi-view",
    takes=VIEWS,
    inputs={name: f"{name}_image_url" for name in VIEW_NAMES},
    required=("front",),
    answer="mesh",
    summary="A mesh from one to four views of the object: front, and left, back, right.",
    note="Its documentation page is not public: it may change.",
)

MESHY = Model(
    id="meshy/meshy-6-image-to-3d",
    aliases=("meshy/v6/image-to-3d",),
    title="Meshy 6",
    takes=IMAGE,
    inputs={"image": "image_url"},
    required=("image",),
    answer="meshy",
    summary="A textured (optionally PBR) mesh with FBX, USDZ, OBJ, STL and Blender copies.",
    params=(
        Param(
            "model_type",
            "choice",
            "standard",
            choices=("standard", "lowpoly", "smart-topology"),
            label="Model type",
            tip="standard: detailed; lowpoly: few polygons; smart-topology: clean edge flow.",
        ),
        Param(
            "topology",
            "choice",
            "triangle",
            choices=("triangle", "quad"),
            tip="Triangles, or quad-dominant faces (for editing in a modeller).",
        ),
        Param(
            "target_polycount",
            "int",
            30_000,
            100,
            300_000,
            label="Target polycount",
            tip="How many polygons the remeshed model should have (100 to 300,000).",
        ),
        Param(
            "symmetry_mode",
            "choice",
            "auto",
            choices=("off", "auto", "on"),
            label="Symmetry",
            tip="Make the model symmetric: off, auto (when the object looks it) or on.",
        ),
        Param(
            "should_remesh",
            "bool",
            True,
            label="Remesh",
            tip="Rebuild the surface to the target polycount and topology.",
        ),
        Param(
            "should_texture",
            "bool",
            True,
            label="Texture",
            tip="Paint a texture; off gives an untextured mesh, faster.",
        ),
        Param(
            "enable_pbr",
            "bool",
            False,
            label="PBR maps",
            tip="Also make metallic, roughness and normal maps.",
        ),
        Param(
            "pose_mode",
            "choice",
            "",
            choices=("", "a-pose", "t-pose"),
            label="Pose",
            tip="For characters: rest in an A-pose or a T-pose (empty: as pictured).",
        ),
        Param(
            "texture_prompt",
            "text",
            "",
            max_len=600,
            label="Texture prompt",
            tip="Words that guide the texture (at most 600 characters).",
        ),
    ),
    minutes=15,  # the docs warn a call can take up to 15 minutes
    reports=USD,
    note="Not on the public model list: your account may not have it.",
)

HUNYUAN_PART = Model(
    id="tencent/hunyuan-part",
    title="Hunyuan Part",
    takes=MESH,
    inputs={"mesh": "mesh_url"},
    required=("mesh",),
    answer="parts",
    summary="Splits a mesh (a .glb or .obj link) into parts, with three candidate masks.",
    params=(
        Param(
            "point_prompt_x",
            "float",
            None,
            -1,
            1,
            label="Point x",
            tip="A point on the part to pick: the model centred and scaled so its longest "
            "side runs from -1 to 1.",
        ),
        Param("point_prompt_y", "float", None, -1, 1, label="Point y", tip="See point x."),
        Param("point_prompt_z", "float", None, -1, 1, label="Point z", tip="See point x."),
        Param(
            "point_num",
            "int",
            100_000,
            1,
            label="Points",
            tip="How many surface points the segmenter samples (default 100,000).",
        ),
        Param(
            "use_normal",
            "bool",
            True,
            label="Use normals",
            tip="Give the segmenter the surface normals as well as positions.",
        ),
        Param(
            "noise_std",
            "float",
            0.0,
            0.0,
            label="Noise",
            tip="Standard deviation of noise added to the points (0: none).",
        ),
        # No upper bound in the docs; their own example answer has seed 3285486654.
        Param("seed", "int", None, 1, tip="Fixes the result (1 or more)."),
    ),
)

MODELS: dict[str, Model] = {m.id: m for m in (TRIPOSR, MAGIC, MESHY, HUNYUAN_PART)}
GENERATORS = tuple(m for m in MODELS.values() if m.takes != MESH)  # picture (or views) in


def get(name: str) -> Model:
    """A model by id or alias; one clear error naming the known ones otherwise."""
    for model in MODELS.values():
        if name == model.id or name in model.aliases:
            return model
    raise InputError(
        f"Unknown model {name!r}",
        hint="Known models: " + ", ".join(MODELS) + ". `aiml3d models` describes them.",
    )


@dataclass(frozen=True)
class ModelParams:
    """A model and the parameter values chosen for it; what a job, a queue item and an
    entry keep. TripoSR's values are those of params.TriposrParams."""

    model: str = triposr.MODEL
    values: dict = field(default_factory=dict)

    @property
    def spec(self) -> Model:
        return get(self.model)

    def validate(self) -> ModelParams:
        spec = self.spec
        spec.check(self.values)
        return ModelParams(spec.id, dict(self.values))  # an alias becomes the id

    def body(self, inputs: dict[str, str]) -> dict:
        return self.spec.body(inputs, self.values)

    def value(self, name: str) -> object:
        return self.values.get(name, self.spec.param(name).default)

    @property
    def output_format(self) -> str:
        """The format of the main mesh the answer links to."""
        return str(self.values.get("output_format", "glb")) if self.model == "triposr" else "glb"

    @property
    def fill(self) -> float:
        """The share of the framed picture the object fills when a picture is prepared."""
        if self.model == triposr.MODEL:
            return float(self.value("foreground_ratio"))  # type: ignore[arg-type]
        return 0.9

    @property
    def warnings(self) -> list[str]:
        if self.model == triposr.MODEL:
            return triposr.TriposrParams(**self.values).warnings
        return []

    def as_dict(self) -> dict:
        return dict(self.values)

    @classmethod
    def of(cls, params: object) -> ModelParams:
        """A ModelParams from itself or a TriposrParams."""
        if isinstance(params, ModelParams):
            return params
        if isinstance(params, triposr.TriposrParams):
            return cls(triposr.MODEL, params.validate().as_dict())
        raise TypeError(f"not parameters: {type(params).__name__}")
