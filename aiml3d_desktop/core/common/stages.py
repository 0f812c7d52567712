"""The steps a job reports through ``progress(stage, done, total)``, and how they read to a
person: one table for the status bar, the queue and anything else that shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Stage(str, Enum):
    """In the order a generation goes through them (a str, so it prints and compares as
    its name)."""

    PLANNING = "planning"  # a scene from a sentence: the language model plans it
    PICTURING = "picturing"  # text to 3D: the prompt becoming a picture, first
    OPENING = "opening"
    PREPARING = "preparing"
    UPLOADING = "uploading"
    GENERATING = "generating"
    DOWNLOADING = "downloading"
    LOADING = "loading"
    SEARCHING = "searching"  # folders, for pictures to queue
    IMPORTING = "importing"
    EXPORTING = "exporting"
    PROCESSING = "processing"  # a recipe of core/assets
    CANCELLING = "cancelling"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RetryNote:
    """Told to a job's progress hook in place of a stage while a request waits to be tried
    again: a wait is never silent (it was 16 s of "Preparing the picture…" with no
    network)."""

    host: str
    reason: str  # "No answer from", "Too many requests at", "No service at"
    wait: float  # seconds until the next try
    attempt: int  # the try that follows (1 for the first retry)
    attempts: int  # retries in all

    def text(self, waited: float = 0.0, short: bool = False) -> str:
        left = max(0, round(self.wait - waited))
        if short:
            return f"Retrying in {left} s ({self.attempt}/{self.attempts})"
        return (
            f"{self.reason} {self.host}, trying again in {left} s "
            f"({self.attempt} of {self.attempts})"
        )


Progress = Callable[["Stage | RetryNote", "int | None", "int | None"], None]

# (in the status bar, in a queue row)
LABELS = {
    Stage.PLANNING: ("Planning the scene", "Planning"),
    Stage.PICTURING: ("Drawing the picture", "Drawing"),
    Stage.OPENING: ("Opening the picture", "Opening"),
    Stage.PREPARING: ("Preparing the picture", "Preparing"),
    Stage.UPLOADING: ("Uploading", "Uploading"),
    Stage.GENERATING: ("Generating the model", "Generating"),
    Stage.DOWNLOADING: ("Downloading", "Downloading"),
    Stage.LOADING: ("Loading the mesh", "Loading"),
    Stage.SEARCHING: ("Looking for pictures", "Looking"),
    Stage.IMPORTING: ("Adding to the library", "Adding"),
    Stage.EXPORTING: ("Exporting", "Exporting"),
    Stage.PROCESSING: ("Preparing the asset", "Preparing"),
    Stage.CANCELLING: ("Cancelling", "Cancelling"),
}


def no_progress(stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
    """The progress hook of a job nobody watches."""


def describe(
    stage: Stage | RetryNote,
    seconds: float,
    done: int | None,
    total: int | None,
    short: bool = False,
) -> str:
    """What a stage reads as: with the seconds of a generation (the API gives no fraction:
    the seconds show it is alive), and how much of a transfer is done; a retry, with its
    countdown (``seconds`` since it was told)."""
    if isinstance(stage, RetryNote):
        return stage.text(seconds, short)
    stage = Stage(stage)
    long_label, short_label = LABELS[stage]
    if stage is Stage.GENERATING:
        if short:
            return f"{short_label}… {seconds:.0f} s"
        return f"{long_label}… {seconds:.0f} s (this takes up to a minute)"
    if stage in (Stage.DOWNLOADING, Stage.UPLOADING) and done is not None:
        if short:
            return f"{short_label} {100 * done // total}%" if total else f"{short_label}…"
        amount = f" of {total / 2**20:.1f} MB" if total else " MB"
        return f"{long_label} {done / 2**20:.1f}{amount}"
    if stage is Stage.PROCESSING and done is not None and total:
        return f"{short_label if short else long_label}… {100 * done // total}%"
    return (short_label if short else long_label) + "…"
