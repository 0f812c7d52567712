"""Ready to print? Watertight, manifold, facing out, its volume, its size in millimetres and
its thinnest wall; and a repair to one watertight solid (manifold3d, Apache-2.0)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from aiml3d_desktop.core.assets.clean import (
    Cleaned,
    drop_degenerate,
    fill_holes,
    welded,
)
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays, face_normals
from aiml3d_desktop.core.meshes.scene import Primitive, Scene

WALL_SAMPLES = 2000  # surface points whose wall is measured
REPAIR_ROUNDS = 3
THIN = 0.8  # mm: thinner walls are flagged (about two lines of a 0.4 mm FDM nozzle)
# Samples set aside as strays (a ray grazing a seam), so that one does not make a model
# "thin"; a thin part with more samples than these (a pin, a fin) still shows.
STRAY = 4


@dataclass
class PrintReport:
    triangles: int
    size_mm: tuple[float, float, float]  # width, height, depth
    parts: int
    open_edges: int  # used by one triangle: holes
    crowded_edges: int  # used by three or more: not a surface
    flipped_edges: int  # two triangles on an edge that disagree on which way is out
    watertight: bool
    manifold: bool  # manifold3d takes it as a solid
    inside_out: bool
    volume_cm3: float | None
    thinnest_mm: float | None = None  # the STRAY+1th thinnest of the walls measured
    thin_share: float | None = None  # of the samples, those thinner than THIN
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "ready": self.ready}

    def lines(self) -> list[str]:
        w, h, d = self.size_mm
        out = [
            "Ready to print" if self.ready else "Not ready to print",
            f"Size: {w:.1f} x {h:.1f} x {d:.1f} mm (width x height x depth)",
            f"Triangles: {self.triangles:,}; parts: {self.parts}",
            f"Watertight: {'yes' if self.watertight else 'no'}"
            f" ({self.open_edges:,} open edges, {self.crowded_edges:,} shared by 3+ triangles)",
            f"Manifold solid: {'yes' if self.manifold else 'no'}",
            f"Faces point: {'inward (inside out)' if self.inside_out else 'outward'}",
            "Volume: "
            + (
                "not defined (not closed)"
                if self.volume_cm3 is None
                else f"{self.volume_cm3:.2f} cm³"
            ),
        ]
        if self.thinnest_mm is not None:
            out.append(
                f"Thinnest wall: about {self.thinnest_mm:.2f} mm"
                f" ({100 * (self.thin_share or 0):.1f}% of the surface under {THIN} mm)"
            )
        out += [f"Problem: {p}" for p in self.problems]
        return out


def check(scene: Scene) -> PrintReport:
    """The print report of the whole scene, judged on its shape alone (texture seams and
    primitives joined where their positions meet), in millimetres (see Scene.unit)."""
    arrays = _solid_arrays(scene)
    faces = arrays.indices
    uses, directed_uses = _edge_uses(faces, len(arrays.positions))
    open_edges = int((uses == 1).sum())
    crowded = int((uses > 2).sum())
    flipped = int((directed_uses > 1).sum())
    watertight = open_edges == 0 and crowded == 0
    solid = _manifold(arrays)
    manifold = solid is not None
    volume = solid.volume() if solid is not None else None
    low, high = scene.bounds.astype(np.float64)
    mm = scene.unit * 1000  # millimetres per unit
    size = tuple(round(float(v), 3) for v in (high - low) * mm)
    report = PrintReport(
        triangles=len(faces),
        size_mm=size,  # type: ignore[arg-type]
        parts=_parts(arrays),
        open_edges=open_edges,
        crowded_edges=crowded,
        flipped_edges=flipped,
        watertight=watertight,
        manifold=manifold,
        inside_out=bool(volume is not None and volume < 0),
        volume_cm3=None if volume is None else round(abs(volume) * (mm / 10) ** 3, 3),
    )
    if solid is not None:
        walls = _walls(arrays, solid, report.inside_out) * mm
        if len(walls):
            report.thinnest_mm = round(float(np.sort(walls)[min(STRAY, len(walls) - 1)]), 3)
            report.thin_share = round(float((walls < THIN).mean()), 4)
    report.problems = _problems(report)
    return report


def repair(scene: Scene) -> Scene:
    """One watertight, outward-facing solid: vertices welded, degenerate triangles gone,
    every hole filled, edges shared by three or more triangles cut loose and their holes
    filled, turned right side out. Colours are kept; textures are not (a printer takes the
    shape alone). Raises InputError if what is left is still not a solid."""
    arrays = _solid_arrays(scene)
    report = Cleaned()
    arrays = drop_degenerate(arrays, report)
    solid = None
    for _ in range(REPAIR_ROUNDS):  # cutting crowded edges loose can leave new ones
        arrays = _consistently_wound(_without_pinches(_without_crowded_edges(arrays)))
        arrays = fill_holes(arrays, None, report)
        solid = _manifold(arrays)
        if solid is not None:
            break
    if solid is None:
        raise InputError(
            "The model could not be made into a watertight solid",
            hint="Its surface crosses itself or is badly broken; try Clean, or remesh it "
            "in a sculpting program.",
        )
    result = solid.to_mesh()
    positions = np.ascontiguousarray(result.vert_properties[:, :3], dtype=np.float32)
    indices = np.ascontiguousarray(result.tri_verts, dtype=np.uint32)
    if solid.volume() < 0:
        indices = np.ascontiguousarray(indices[:, ::-1])
    colours = None
    if arrays.colors is not None and result.vert_properties.shape[1] >= 7:
        colours = np.ascontiguousarray(result.vert_properties[:, 3:7], dtype=np.float32)
    out = MeshArrays(positions, indices, colours)
    out.smooth_normals()
    return Scene([Primitive(out, -1, "solid")], notes=list(scene.notes), unit=scene.unit)


def _solid_arrays(scene: Scene) -> MeshArrays:
    """The scene's shape as one welded mesh, with vertex colours where every primitive has
    some (textures and UVs are not part of a solid)."""
    merged = scene.merged
    faces, first = welded(merged)
    colours = None if merged.colors is None else np.ascontiguousarray(merged.colors[first])
    return MeshArrays(
        np.ascontiguousarray(merged.positions[first]),
        np.ascontiguousarray(faces, dtype=np.uint32),
        colours,
    )


def _manifold(arrays: MeshArrays):
    """The manifold3d solid, or None where the mesh is not an oriented 2-manifold."""
    import manifold3d

    properties = arrays.positions
    if arrays.colors is not None:
        properties = np.hstack([arrays.positions, arrays.colors])
    mesh = manifold3d.Mesh(
        vert_properties=np.array(properties, dtype=np.float32, order="C"),
        tri_verts=np.array(arrays.indices, dtype=np.uint32, order="C"),
    )
    solid = manifold3d.Manifold(mesh)
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        return None
    return solid


def _edge_keys(faces: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each triangle's three edges as int64 keys, (undirected, directed), edge k of every
    triangle before edge k+1."""
    a = faces.T.ravel().astype(np.int64)
    b = np.roll(faces, -1, axis=1).T.ravel().astype(np.int64)
    return np.minimum(a, b) * count + np.maximum(a, b), a * count + b


def _edge_uses(faces: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """How many triangles use each edge, regardless of direction and in one direction."""
    undirected, directed = _edge_keys(faces, count)
    return np.unique(undirected, return_counts=True)[1], np.unique(directed, return_counts=True)[1]


def _without_crowded_edges(arrays: MeshArrays) -> MeshArrays:
    """Triangles on an edge shared by three or more removed (they leave holes to fill)."""
    faces = arrays.indices
    undirected, _ = _edge_keys(faces, len(arrays.positions))
    _, inverse, uses = np.unique(undirected, return_inverse=True, return_counts=True)
    bad = (uses[inverse] > 2).reshape(3, -1).any(axis=0)
    if not bad.any():
        return arrays
    return MeshArrays(arrays.positions, np.ascontiguousarray(faces[~bad]), arrays.colors)


def _without_pinches(arrays: MeshArrays) -> MeshArrays:
    """Triangles around a vertex where two holes touch removed, so that every hole is a
    simple loop that a fan can close."""
    faces = arrays.indices
    undirected, directed = _edge_keys(faces, len(arrays.positions))
    _, inverse, uses = np.unique(undirected, return_inverse=True, return_counts=True)
    starts = directed[uses[inverse] == 1] // len(arrays.positions)
    pinched = np.flatnonzero(np.bincount(starts, minlength=len(arrays.positions)) > 1)
    if not len(pinched):
        return arrays
    bad = np.isin(faces, pinched).any(axis=1)
    return MeshArrays(arrays.positions, np.ascontiguousarray(faces[~bad]), arrays.colors)


def _consistently_wound(arrays: MeshArrays) -> MeshArrays:
    """Every triangle of a part wound like its neighbours (trimesh walks the surface)."""
    import trimesh

    mesh = trimesh.Trimesh(arrays.positions, arrays.indices, process=False)
    trimesh.repair.fix_winding(mesh)
    return MeshArrays(
        arrays.positions, np.ascontiguousarray(mesh.faces, dtype=np.uint32), arrays.colors
    )


def _parts(arrays: MeshArrays) -> int:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    faces = arrays.indices
    n = len(arrays.positions)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), (n, n))
    _, labels = connected_components(graph, directed=False)
    return len(np.unique(labels[faces[:, 0]]))


def _walls(arrays: MeshArrays, solid, inside_out: bool) -> np.ndarray:
    """Wall thickness (metres) at sample points: from each, a ray into the solid to where
    it comes out again."""
    faces = arrays.indices
    corners = arrays.positions[faces].astype(np.float64)
    areas = np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    if areas.sum() <= 0:
        return np.empty(0)
    rng = np.random.default_rng(0)
    # Points spread over the surface by area (a big flat face gets many, a pin its share).
    pick = rng.choice(len(faces), size=WALL_SAMPLES, p=areas / areas.sum())
    weights = rng.dirichlet((1.0, 1.0, 1.0), size=WALL_SAMPLES)
    points = np.einsum("sc,scj->sj", weights, corners[pick])
    inward = -face_normals(arrays.positions, faces[pick]).astype(np.float64)
    if inside_out:
        inward = -inward
    reach = float(np.linalg.norm(np.ptp(arrays.positions, axis=0)))
    start = points + inward * reach * 1e-6
    walls = [
        _first_hit(solid, origin, direction, reach)
        for origin, direction in zip(start, inward, strict=True)
    ]
    return np.asarray([w for w in walls if w is not None])


def _first_hit(solid, origin: np.ndarray, direction: np.ndarray, reach: float) -> float | None:
    """Distance along the ray to the surface, or None. manifold3d tests every triangle in a
    segment's bounding box, so a long segment across a big model costs milliseconds: short
    segments first, doubling in length (a wall is usually far thinner than the model)."""
    done, length = 0.0, reach / 256
    while done < reach:
        a = origin + direction * done
        hits = solid.ray_cast(tuple(a), tuple(a + direction * length))
        if hits:  # the distance is a fraction of the segment
            return done + hits[0].distance * length
        done, length = done + length, length * 2
    return None


def _problems(report: PrintReport) -> list[str]:
    out = []
    if report.open_edges:
        out.append(f"{report.open_edges:,} open edges: there are holes (Repair fills them)")
    if report.crowded_edges:
        out.append(f"{report.crowded_edges:,} edges are shared by three or more triangles")
    if report.flipped_edges:
        out.append(f"{report.flipped_edges:,} edges join triangles facing opposite ways")
    if report.watertight and not report.manifold:
        out.append("the surface is closed but not a clean solid (it may cross itself)")
    if report.inside_out:
        out.append("the faces point inward (Repair turns them out)")
    if report.thinnest_mm is not None and report.thinnest_mm < THIN:
        out.append(
            f"walls as thin as {report.thinnest_mm:.2f} mm ({100 * (report.thin_share or 0):.1f}%"
            f" of the surface under {THIN} mm): scale it up, or check your printer's minimum"
        )
    return out
