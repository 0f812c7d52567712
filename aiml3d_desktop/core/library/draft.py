"""A new library entry being assembled in ``.staging/``: its files written there, then moved
into the library whole by one rename (see Library.draft())."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from aiml3d_desktop.core.api.calls import now
from aiml3d_desktop.core.common.errors import InputError, storage_errors
from aiml3d_desktop.core.common.fileio import path_kind, write_bytes, write_json
from aiml3d_desktop.core.library.entry import ENTRY_FILE, Entry
from aiml3d_desktop.core.net.policy import is_url

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.index import Index
    from aiml3d_desktop.core.library.results import JobResult


class Draft:
    """A new entry being assembled in ``.staging/``; see Library.draft()."""

    def __init__(self, entries: Path, index: Index, folder: Path, entry_id: str) -> None:
        """``entries``: the library's folder of entries, and ``index`` its index."""
        self.entries, self.index, self.folder, self.id = entries, index, folder, entry_id
        self.entry: Entry | None = None

    def add_file(self, name: str, data: bytes) -> str:
        with storage_errors("Could not save to the library"):
            write_bytes(self.folder / name, data)
        return name

    def copy_file(self, src: Path, name: str) -> str:
        with storage_errors("Could not save to the library"):
            shutil.copyfile(src, self.folder / name)
        return name

    def commit_generation(self, result: JobResult) -> Entry:
        """A finished generation (its mesh already in this folder) becomes an entry, with the
        picture as given and as uploaded."""
        image, made = result.image, result.generation
        source_file = uploaded_file = None
        if result.picture is not None:  # text to 3D: the picture the prompt became
            from PIL import Image  # here: the window's first frame needs no Pillow

            kind = Image.open(io.BytesIO(result.picture)).format or "PNG"
            suffix = {"JPEG": ".jpg", "WEBP": ".webp"}.get(kind, ".png")
            source_file = self.add_file(f"source{suffix}", result.picture)
        elif not image.is_url and path_kind(image.source) == "file":
            suffix = Path(image.source).suffix.lower() or ".png"
            source_file = self.copy_file(Path(image.source), f"source{suffix}")
        if image.data is not None:
            suffix = {"image/jpeg": ".jpg", "image/webp": ".webp"}.get(image.mime or "", ".png")
            uploaded_file = self.add_file(f"uploaded{suffix}", image.data)
        self._keep_views(made.details)
        return self.commit(
            title=made.title or image.stem,
            created=made.created,
            mesh_file=result.mesh_path.name,
            source_kind=made.source_kind,
            source=made.source,
            source_file=source_file,
            uploaded_file=uploaded_file,
            model=made.model,
            params=made.params,
            request_id=made.request_id,
            timings=made.timings,
            credits=made.credits_used,
            stats={**made.mesh, "file_size": made.file_size},
            extra={**made.details, "elapsed_s": made.elapsed_s},
            outputs=result.outputs,
        )

    def _keep_views(self, details: dict) -> None:
        """A multi-view model's other views, kept in the entry (``view_files``: side ->
        file) as the front picture is: drawn ones are in the draft already; a photo given
        is copied (a link stays a link)."""
        kept = {}
        for side, source in (details.get("views") or {}).items():
            path = Path(source)
            if is_url(source) or path_kind(path) != "file":
                continue
            if path.parent.resolve() != self.folder.resolve():
                path = self.folder / self.copy_file(path, f"view-{side}{path.suffix.lower()}")
            kept[side] = path.name
        if kept:
            details["view_files"] = kept
        drawn = details.get("drawn_views")
        for side, how in drawn.items() if isinstance(drawn, dict) else ():
            if isinstance(how, dict) and side in kept:
                how["file"] = kept[side]  # as the entry keeps it

    def commit(self, **fields_) -> Entry:
        """Write ``entry.json`` and move the folder into the library in one rename."""
        fields_.setdefault("created", now())
        entry = Entry(id=self.id, **fields_)
        if not (self.folder / entry.mesh_file).is_file():
            raise InputError(f"the draft holds no {entry.mesh_file}")
        with storage_errors("Could not save to the library"):
            write_json(self.folder / ENTRY_FILE, entry.to_json())
            final = self.entries / self.id
            os.rename(self.folder, final)
            entry.folder = final
            self.entry = entry  # in the library now, whatever the index says: see _sync()
            self.index.put(entry)
        return entry
