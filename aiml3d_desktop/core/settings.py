"""User settings: a small JSON file in the config folder. Never holds the API key."""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from aiml3d_desktop import paths
from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.api.params import (
    DEFAULT_BASE,
    EDIT_MODEL,
    PLANNER_MODEL,
    PROMPT_SUFFIX,
    TEXT_TO_IMAGE_MODEL,
    TriposrParams,
)
from aiml3d_desktop.core.api.params import (
    MODEL as TRIPOSR,
)
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import write_json
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE, MAX_SIDE_RANGE

log = logging.getLogger(__name__)
BASE_ENV_VAR = "AIML_API_BASE"


@dataclass
class Settings:
    api_base: str = DEFAULT_BASE
    output_dir: str = ""  # empty: the platform's documents folder
    params: TriposrParams = field(default_factory=TriposrParams)
    max_side: int = DEFAULT_MAX_SIDE
    max_download_mib: int = 512
    library_dir: str = ""  # empty: the library folder in the platform's data folder
    backend: str = "aiml"  # or "local", the offline relief preview
    prepare: bool = True  # frame pictures before upload: crop to the object, pad to square
    image_model: str = TEXT_TO_IMAGE_MODEL  # text to 3D: the model that draws the prompt
    prompt_suffix: str = PROMPT_SUFFIX  # added to each prompt
    planner_model: str = PLANNER_MODEL  # a scene from a sentence: the chat model that plans
    edit_model: str = EDIT_MODEL  # draws the views a photo lacks (an image-editing model)
    checker_model: str = PLANNER_MODEL  # compares a model with its photo (it sees pictures)
    batch_jobs: int = 2  # batch queue items made at once (core.generation.batch.DEFAULT_JOBS)
    model: str = TRIPOSR  # the 3D model picked (core/api/models.py); TripoSR's values are params
    model_values: dict = field(default_factory=dict)  # the other models' values, by model id
    # A batch estimated above either asks first (0: never asks).
    confirm_above_credits: int = 1_000_000
    confirm_above_usd: float = 5.0
    # Sizes are shown in the file's own unit ("file": an STL in mm, a GLB in m), or in one of
    # SIZE_UNITS whatever the file's.
    size_unit: str = "file"

    def model_params(self, model: str | None = None) -> ModelParams:
        """The saved values of ``model`` (default: the one picked)."""
        model = model or self.model
        if model == TRIPOSR:
            return ModelParams(TRIPOSR, self.params.as_dict())
        return ModelParams(model, dict(self.model_values.get(model, {})))

    def remember(self, params: ModelParams) -> None:
        """``params`` as the picked model and its values, for next time."""
        self.model = params.model
        if params.model == TRIPOSR:
            self.params = TriposrParams(**params.values)
        else:
            self.model_values = {**self.model_values, params.model: dict(params.values)}

    @property
    def output_path(self) -> Path:
        return Path(self.output_dir).expanduser() if self.output_dir else paths.default_output_dir()

    @property
    def library_path(self) -> Path | None:
        """The library folder chosen here, or None for the default (AIML3D_LIBRARY wins)."""
        if os.environ.get("AIML3D_LIBRARY") or not self.library_dir:
            return None
        return Path(self.library_dir).expanduser()

    def api_base_for(self, override: str | None = None) -> str:
        """``--api-base`` wins, then ``AIML_API_BASE``, then the saved setting."""
        return override or os.environ.get(BASE_ENV_VAR) or self.api_base

    def api_base_source(self) -> tuple[str, str]:
        """The base URL requests go to, and where it comes from: ``environment``
        (``AIML_API_BASE``), ``settings`` (saved) or ``default``."""
        if os.environ.get(BASE_ENV_VAR):
            return os.environ[BASE_ENV_VAR], "environment"
        return self.api_base, "default" if self.api_base == DEFAULT_BASE else "settings"


# The units sizes can be shown in, in metres.
SIZE_UNITS = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254}
CHOICES = {"backend": ("aiml", "local"), "size_unit": ("file", *SIZE_UNITS)}
RANGES = {
    "batch_jobs": (1, 8),
    "max_download_mib": (1, 65536),
    "confirm_above_credits": (0, 10**12),
    "confirm_above_usd": (0.0, 10.0**6),
}


def settings_file() -> Path:
    return paths.config_dir() / "settings.json"


def load(path: Path | None = None) -> tuple[Settings, list[str]]:
    """The saved settings, and warnings for whatever had to fall back to a default."""
    path = path or settings_file()
    if not path.exists():
        return Settings(), []
    try:
        raw = json.loads(path.read_text("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        warning = f"The settings file {path} is damaged ({reason}); using the defaults."
        log.warning(warning)
        return Settings(), [warning]
    settings, warnings = Settings(), list[str]()
    known = {f.name for f in fields(Settings)}
    for name, value in raw.items():
        if name not in known:
            continue
        try:
            setattr(settings, name, _checked(name, value, getattr(settings, name), warnings))
        except (InputError, TypeError) as exc:
            why = exc.message if isinstance(exc, InputError) else str(exc)
            warnings.append(f"Setting {name!r} is invalid ({why}); using the default.")
    for warning in warnings:
        log.warning(warning)
    return settings, warnings


MODEL_ID = re.compile(r"[A-Za-z0-9][\w.:/-]{0,99}")  # a model's id, as the registry spells them


def _checked(name: str, value, default, warnings: list[str]):
    """One saved value as it may be used, or InputError/TypeError saying why not."""
    if name == "params":
        return TriposrParams(**{**default.as_dict(), **value}).validate()
    if isinstance(default, float) and type(value) is int:
        value = float(value)  # 5.0 written by hand as 5
    if type(value) is not type(default):
        raise InputError(f"expected {type(default).__name__}")
    if name == "max_side" and not MAX_SIDE_RANGE[0] <= value <= MAX_SIDE_RANGE[1]:
        raise InputError("expected {} to {} pixels".format(*MAX_SIDE_RANGE))
    if name in CHOICES and value not in CHOICES[name]:
        raise InputError(f"expected one of {', '.join(CHOICES[name])}")
    if name in RANGES and not RANGES[name][0] <= value <= RANGES[name][1]:
        raise InputError("expected {} to {}".format(*RANGES[name]))
    if name in ("planner_model", "edit_model", "checker_model") and not MODEL_ID.fullmatch(value):
        raise InputError(f"expected a model id such as {getattr(Settings(), name)}")
    if name == "model":
        value = models.get(value).id
        if models.get(value).takes == models.MESH:
            raise InputError("it splits a mesh, it does not make one")
    if name == "model_values":
        value = _model_values(value, warnings)
    return value


def _model_values(saved: dict, warnings: list[str]) -> dict:
    """Each model's saved values that still fit its schema; the rest are warned about."""
    kept = {}
    for model, values in saved.items():
        try:
            checked = ModelParams(model, values).validate()
            kept[checked.model] = checked.values  # an alias is kept under the model's id
        except (InputError, AttributeError):  # AttributeError: values is not a dict
            warnings.append(f"The saved values of {model!r} do not fit it; using its defaults.")
    return kept


def save(settings: Settings, path: Path | None = None) -> None:
    data = asdict(settings)
    write_json(path or settings_file(), data)
