"""A scene being edited: its document, and every edit as a change that can be undone.

The document is immutable (document.py): a change keeps the document before and after it,
sharing every part it did not touch, so that undo puts one back and redo the other. A drag
makes one change, not one per mouse move: edits that name the same ``merge`` key one after
the other fold into the first. The window observes ``listen`` and shows ``undo_label`` and
``redo_label``; it can drive a QUndoStack from here or use this alone.

Locked placements (or those in a locked group) are left alone by every edit but hiding,
locking and renaming.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition.document import (
    MAX_COORDINATE,
    MAX_PLACEMENTS,
    SCALES,
    Background,
    Ground,
    Group,
    Light,
    Placement,
    SceneDoc,
    SceneFileError,
    Source,
    clean_name,
    unit_quaternion,
)

LIMIT = 500  # changes kept for undo


@dataclass(frozen=True)
class Change:
    label: str  # "Move 3 models": what Undo and Redo say
    before: SceneDoc
    after: SceneDoc
    merge: str | None = None


Outlines = Mapping[str, np.ndarray]  # a source's key to its model's outline (arrange.py)


class Composition:
    def __init__(self, doc: SceneDoc | None = None, limit: int = LIMIT) -> None:
        self.doc = doc or SceneDoc()
        self._done: list[Change] = []
        self._undone: list[Change] = []
        self._limit = limit
        self._saved: SceneDoc | None = self.doc
        self._listeners: list[Callable[[SceneDoc], object]] = []

    # The history

    def listen(self, callback: Callable[[SceneDoc], object]) -> None:
        """``callback(doc)`` after every change, undo and redo."""
        self._listeners.append(callback)

    def apply(self, label: str, after: SceneDoc, merge: str | None = None) -> bool:
        """Make ``after`` the document, as one change (or folded into the last, when both
        name ``merge``); False when it changes nothing."""
        if after == self.doc:
            return False
        last = self._done[-1] if self._done else None
        if merge is not None and last is not None and last.merge == merge and not self._undone:
            self._done[-1] = replace(last, after=after)
        else:
            self._done.append(Change(label, self.doc, after, merge))
            del self._done[: -self._limit]
        self._undone.clear()
        self._set(after)
        return True

    def end_merge(self) -> None:
        """The drag is over: the next edit is a change of its own, whatever it names. A drag
        that ended where it began leaves no change to undo (and the document as it was)."""
        if self._done and self._done[-1].merge is not None:
            last = self._done.pop()
            if last.before == last.after:
                self._set(last.before)  # the very object: "modified" as before the drag
            else:
                self._done.append(replace(last, merge=None))

    def undo(self) -> bool:
        if not self._done:
            return False
        change = self._done.pop()
        self._undone.append(change)
        self._set(change.before)
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        change = self._undone.pop()
        self._done.append(change)
        self._set(change.after)
        return True

    @property
    def undo_label(self) -> str | None:
        return self._done[-1].label if self._done else None

    @property
    def redo_label(self) -> str | None:
        return self._undone[-1].label if self._undone else None

    @property
    def modified(self) -> bool:
        return self.doc is not self._saved

    def mark_saved(self) -> None:
        self._saved = self.doc

    def _set(self, doc: SceneDoc) -> None:
        self.doc = doc
        for callback in list(self._listeners):
            callback(doc)

    # Edits of placements

    def add(
        self,
        items: Sequence[tuple[Source, str]],
        outlines: Outlines | None = None,
        where: Sequence[float] | None = None,
        gap: float = 0.1,
    ) -> list[str]:
        """Models placed at ``where`` (their footprint centred on it, when their outlines
        are known: a tile dropped on the ground), or when it is None and their outlines are
        known, each beside the scene (``gap`` metres to the right of all there is); resting
        on the ground when their outlines are known. Their ids."""
        doc = self.doc
        if len(doc.placements) + len(items) > MAX_PLACEMENTS:
            raise SceneFileError(f"A scene holds at most {MAX_PLACEMENTS:,} models")
        added = []
        for source, name in items:
            at = tuple(map(float, where or (0.0, 0.0, 0.0)))
            placement = Placement(doc.new_id(), name, source, at)  # type: ignore[arg-type]
            if outlines is not None and source.key in outlines:
                placement = arrange.on_ground(placement, outlines[source.key])
                if where is not None:
                    low, high = arrange.world_box(placement, outlines[source.key])
                    centre = (low + high) / 2
                    off = (at[0] - float(centre[0]), 0.0, at[2] - float(centre[2]))
                    placement = arrange.moved(placement, off)
                else:
                    boxes = [
                        arrange.world_box(p, outlines[p.source.key])
                        for p in doc.placements
                        if p.source.key in outlines
                    ]
                    placement = arrange.beside(placement, outlines[source.key], boxes, gap)
            doc = replace(doc, placements=(*doc.placements, _in_reach(placement)))
            added.append(placement.id)
        self.apply(_count("Add", len(added)), doc)
        return added

    def remove(self, ids: Iterable[str]) -> None:
        """The placements deleted (locked ones stay), and any group they leave empty."""
        gone = {p.id for p in self._editable(ids)}
        kept = tuple(p for p in self.doc.placements if p.id not in gone)
        used = {p.group for p in kept}
        groups = tuple(g for g in self.doc.groups if g.id in used)
        label = _count("Delete", len(gone))
        self.apply(label, replace(self.doc, placements=kept, groups=groups))

    def duplicate(self, ids: Iterable[str], offset: Sequence[float] = (0.0, 0.0, 0.0)) -> list[str]:
        """Copies of the placements, moved by ``offset``, each with a new id and name; the
        copies' ids (a model is still stored once, however often it is placed)."""
        doc, copies = self.doc, []
        originals = self._placements(ids)
        if len(doc.placements) + len(originals) > MAX_PLACEMENTS:
            raise SceneFileError(f"A scene holds at most {MAX_PLACEMENTS:,} models")
        for original in originals:
            group = original.group
            if group is not None and doc.group(group).locked:
                group = None  # a copy in a locked group could not be moved or deleted
            copy = arrange.moved(
                replace(
                    original,
                    id=doc.new_id(),
                    name=_copy_name(original.name),
                    locked=False,
                    group=group,
                ),
                offset,
            )
            doc = replace(doc, placements=(*doc.placements, _in_reach(copy)))
            copies.append(copy.id)
        self.apply(_count("Duplicate", len(copies)), doc)
        return copies

    def move(self, ids: Iterable[str], delta: Sequence[float], merge: str | None = None) -> None:
        chosen = self._editable(ids)
        self._replace("Move", [arrange.moved(p, delta) for p in chosen], merge)

    def turn(self, ids: Iterable[str], degrees: float, merge: str | None = None) -> None:
        """A turn about the up axis, each model about its own origin."""
        turn = arrange.about_up(degrees)
        chosen = self._editable(ids)
        turned = [replace(p, rotation=arrange.times(turn, p.rotation)) for p in chosen]
        self._replace("Turn", turned, merge)

    def transform(
        self,
        placement_id: str,
        position: Sequence[float] | None = None,
        rotation: Sequence[float] | None = None,
        scale: float | None = None,
        merge: str | None = None,
    ) -> None:
        """Numbers typed in the transform panel, or a handle dragged along one axis."""
        chosen = self._editable([placement_id])
        if not chosen:
            return
        placement = chosen[0]
        if position is not None:
            placement = replace(placement, position=tuple(map(float, position)))  # type: ignore[arg-type]
        if rotation is not None:
            placement = replace(placement, rotation=unit_quaternion(tuple(rotation)))  # type: ignore[arg-type]
        if scale is not None:
            placement = replace(placement, scale=float(np.clip(scale, *SCALES)))
        self._replace("Change", [placement], merge)

    def place(self, verb: str, placements: Sequence[Placement], merge: str | None = None) -> None:
        """Placements changed as a whole: a handle's drag, which works each out from where
        it was when grabbed (no error piles up over a long drag)."""
        chosen = {p.id for p in self._editable(p.id for p in placements)}
        self._replace(verb, [p for p in placements if p.id in chosen], merge, count=False)

    def rest_on_ground(self, ids: Iterable[str], outlines: Outlines) -> None:
        chosen = [p for p in self._editable(ids) if p.source.key in outlines]
        rested = [arrange.on_ground(p, outlines[p.source.key]) for p in chosen]
        self._replace("Drop to the ground", rested, None, count=False)

    def arrange(self, ids: Iterable[str], how: str, gap: float, outlines: Outlines) -> None:
        """The placements laid out in a row, a grid or a circle (arrange.layout), in the
        order given, ``gap`` metres apart."""
        chosen = [p for p in self._editable(ids) if p.source.key in outlines]
        world = [arrange.world_box(p, outlines[p.source.key]) for p in chosen]
        moves = arrange.layout(world, how, gap)
        laid = [arrange.moved(p, tuple(m)) for p, m in zip(chosen, moves, strict=True)]
        self._replace(f"Arrange in a {how}", laid, None, count=False)

    def rename(self, placement_id: str, name: str) -> None:
        placement = self.doc.placement(placement_id)
        self._replace("Rename", [replace(placement, name=clean_name(name))], None, count=False)

    def set_visible(self, ids: Iterable[str], visible: bool) -> None:
        changed = [replace(p, visible=visible) for p in self._placements(ids)]
        self._replace("Show" if visible else "Hide", changed, None)

    def set_locked(self, ids: Iterable[str], locked: bool) -> None:
        changed = [replace(p, locked=locked) for p in self._placements(ids)]
        self._replace("Lock" if locked else "Unlock", changed, None)

    # Groups

    def group(self, ids: Iterable[str], name: str = "Group") -> str | None:
        chosen = self._editable(ids)
        if not chosen:
            return None
        group = Group(self.doc.new_id("g"), clean_name(name))
        doc = replace(self.doc, groups=(*self.doc.groups, group))
        moved = {p.id: replace(p, group=group.id) for p in chosen}
        placements = tuple(moved.get(p.id, p) for p in doc.placements)
        self.apply(f"Group {len(chosen)} models", replace(doc, placements=placements))
        return group.id

    def ungroup(self, group_id: str) -> None:
        doc = self.doc
        placements = tuple(
            replace(p, group=None) if p.group == group_id else p for p in doc.placements
        )
        groups = tuple(g for g in doc.groups if g.id != group_id)
        self.apply("Ungroup", replace(doc, placements=placements, groups=groups))

    def change_group(self, group_id: str, **fields: object) -> None:
        """A group's name, visibility or lock."""
        if not set(fields) <= {"name", "visible", "locked"}:
            raise ValueError(f"a group has no {sorted(set(fields))}")
        if "name" in fields:
            fields["name"] = clean_name(str(fields["name"]))
        groups = tuple(
            replace(g, **fields) if g.id == group_id else g  # type: ignore[arg-type]
            for g in self.doc.groups
        )
        self.apply("Change the group", replace(self.doc, groups=groups))

    # The scene's own settings

    def set_light(self, light: Light) -> None:
        self.apply("Change the lighting", replace(self.doc, light=light))

    def set_ground(self, ground: Ground) -> None:
        self.apply("Change the ground", replace(self.doc, ground=ground))

    def set_background(self, background: Background) -> None:
        self.apply("Change the background", replace(self.doc, background=background))

    def rename_scene(self, name: str) -> None:
        self.apply("Rename the scene", replace(self.doc, name=clean_name(name)))

    # Helpers

    def _placements(self, ids: Iterable[str]) -> list[Placement]:
        wanted = set(ids)
        return [p for p in self.doc.placements if p.id in wanted]

    def _editable(self, ids: Iterable[str]) -> list[Placement]:
        return [p for p in self._placements(ids) if self.doc.editable(p)]

    def _replace(
        self, verb: str, changed: list[Placement], merge: str | None, count: bool = True
    ) -> None:
        if not changed:
            return
        new = {p.id: _in_reach(p) for p in changed}
        placements = tuple(new.get(p.id, p) for p in self.doc.placements)
        label = _count(verb, len(changed)) if count else verb
        self.apply(label, replace(self.doc, placements=placements), merge)


def _in_reach(placement: Placement) -> Placement:
    """The placement, if an edit left it somewhere a scene can be saved: finite numbers,
    within MAX_COORDINATE of the centre (a file the app wrote must open again)."""
    position = np.asarray(placement.position, dtype=float)
    if not np.isfinite(position).all() or np.abs(position).max() > MAX_COORDINATE:
        raise SceneFileError(
            f"That would put {placement.name} more than {MAX_COORDINATE / 1000:g} km from "
            "the centre of the scene",
            hint="Use a smaller gap or move it nearer.",
        )
    return placement


def _count(verb: str, count: int) -> str:
    return f"{verb} {count} models" if count != 1 else f"{verb} a model"


def _copy_name(name: str) -> str:
    return clean_name(name if name.endswith(" copy") else f"{name} copy")
