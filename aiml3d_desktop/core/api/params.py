"""The triposr request parameters, checked here so that a bad value never costs a request."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes import formats

DEFAULT_BASE = "https://api.aimlapi.com"
ENDPOINT = "/v1/images/generations"
CHAT_ENDPOINT = "/v1/chat/completions"  # the language models (a scene's plan)
PLANNER_MODEL = "openai/gpt-4o"  # plans a scene from a sentence; documents json_schema answers
TEXT_TO_IMAGE_MODEL = "flux/schnell"  # makes the picture for a text prompt
# Draw the views a photo lacks: image-editing models that take the photo (image_urls).
EDIT_MODEL = "google/nano-banana-edit"
EDIT_MODELS = (EDIT_MODEL, "alibaba/qwen-image-3-edit", "bytedance/seedream-4-5")
MAX_SEED = 4_294_967_295
# Asks the picture model for what image-to-3D works best with.
PROMPT_SUFFIX = ", a single object, centred, whole, on a plain white background, studio light"
LOCAL_MODEL = "local-relief"  # the offline backend's results, as the library names them
MODEL = "triposr"
OUTPUT_FORMATS = (formats.GLB.key, formats.OBJ.key)  # what TripoSR answers with
FOREGROUND_RATIO_RANGE = (0.5, 1.0)
MC_RESOLUTION_RANGE = (32, 1024)
MC_RESOLUTION_RECOMMENDED_MAX = 512


@dataclass(frozen=True)
class TriposrParams:
    """Every body parameter the AIML docs list for triposr, with the documented defaults."""

    output_format: str = "glb"
    do_remove_background: bool = True
    foreground_ratio: float = 0.9
    mc_resolution: int = 256

    def validate(self) -> TriposrParams:
        if self.output_format not in OUTPUT_FORMATS:
            raise InputError(
                f"Output format must be one of {', '.join(OUTPUT_FORMATS)}, "
                f"not {self.output_format!r}"
            )
        if not isinstance(self.do_remove_background, bool):
            raise InputError("Background removal must be true or false")
        low, high = FOREGROUND_RATIO_RANGE
        ratio = self.foreground_ratio
        if (
            isinstance(ratio, bool)
            or not isinstance(ratio, int | float)
            or not low <= ratio <= high
        ):
            raise InputError(f"Foreground ratio must be between {low} and {high}, not {ratio!r}")
        low, high = MC_RESOLUTION_RANGE
        res = self.mc_resolution
        if isinstance(res, bool) or not isinstance(res, int) or not low <= res <= high:
            raise InputError(
                f"Marching-cubes resolution must be a whole number from {low} to {high}, "
                f"not {res!r}"
            )
        return self

    @property
    def warnings(self) -> list[str]:
        if self.mc_resolution > MC_RESOLUTION_RECOMMENDED_MAX:
            return [
                f"A marching-cubes resolution above {MC_RESOLUTION_RECOMMENDED_MAX} is not "
                "recommended by AIML: it is slow and may time out."
            ]
        return []

    def body(self, image_url: str) -> dict:
        """The JSON body for ``POST /v1/images/generations``."""
        self.validate()
        return {"model": MODEL, "image_url": image_url, **asdict(self)}

    def as_dict(self) -> dict:
        return asdict(self)
