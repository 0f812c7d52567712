"""A colour texture for a mesh: unwrapped by xatlas (MIT), each texel coloured from the closest
point of the dense original surface (its vertex colours blended, or its own texture read),
the empty texels filled from their nearest neighbour so that no seam shows at any mip level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aiml3d_desktop.core.assets.surface import Surface, sample_texture, vertex_colours
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import Material, Primitive, Scene, Texture, TextureSlot

SIZES = (512, 1024, 2048, 4096)
PADDING = 4  # texels between charts, so bilinear filtering and mipmaps do not mix them
RASTER_CHUNK = 1_000_000  # candidate texels per vectorised step: about 100 MB of temporaries
CLUSTER = 1000  # triangles per patch handed to xatlas
SAMPLES_PER_VERTEX = 8  # texels sampled per source vertex (about three across each spacing)
USED_SHARE = 0.7  # of an atlas that xatlas's charts cover  # candidate texels per vectorised step

Fraction = Callable[[float], None]


@dataclass
class Fidelity:
    """How well a bake keeps the original's colours, in RGB levels (0..255)."""

    mean: float
    p95: float
    samples: int


def bake(
    scene: Scene,
    source: Scene | None = None,
    size: int = 2048,
    progress: Fraction | None = None,
    cancel: CancelToken | None = None,
) -> Scene:
    """``scene`` (usually decimated) as one textured primitive, its ``size``² colour texture
    taken from ``source`` (the dense original; by default ``scene`` itself)."""
    if size not in SIZES:
        raise InputError(
            f"Cannot bake a {size} px texture", hint=f"Use one of {', '.join(map(str, SIZES))}."
        )
    step = progress or (lambda fraction: None)
    source = source or scene
    low = scene.merged
    normals = low.smooth_normals() if low.normals is None else low.normals
    sampled = sampling_size(source, size)
    mapping, indices, uvs = _unwrap(low, normals, sampled)
    step(0.35)
    if cancel:
        cancel.check()
    colours = _Colours(source)
    image = _raster(low.positions[mapping], indices, uvs, sampled, colours, step, cancel)
    if sampled < size:
        from PIL import Image

        image = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
    arrays = MeshArrays(
        np.ascontiguousarray(low.positions[mapping]),
        np.ascontiguousarray(indices, dtype=np.uint32),
        uvs=np.ascontiguousarray(uvs, dtype=np.float32),
        normals=np.ascontiguousarray(normals[mapping]),
    )
    material = Material(
        "baked",
        base_color_texture=TextureSlot(0),
        metallic=0.0,
        roughness=0.6,
        double_sided=not _closed(low.indices),
    )
    # Cut-outs (leaves, fences) stay cut out: the texture's alpha is the source's.
    modes = {source.material(p).alpha_mode for p in source.primitives}
    if "MASK" in modes or "BLEND" in modes:
        material.alpha_mode = "MASK" if "MASK" in modes else "BLEND"
        material.alpha_cutoff = min(source.material(p).alpha_cutoff for p in source.primitives)
        material.double_sided = True
    notes = [n for n in scene.notes if "bake" not in n]  # the advice to bake is taken
    return Scene(
        [Primitive(arrays, 0, "baked")],
        [material],
        [Texture(image, name="baked_color")],
        notes=notes,
        unit=scene.unit,
    )


def sampling_size(source: Scene, size: int) -> int:
    """How many texels are worth sampling: a vertex-coloured surface holds no detail finer
    than its vertices, so it is sampled at about SAMPLES_PER_VERTEX texels per vertex and
    the texture filled bilinearly from that (exact where colours vary linearly across a
    triangle, as they do); a textured source is sampled at the full size."""
    if source.textures:
        return size
    wanted = np.sqrt(SAMPLES_PER_VERTEX * source.vertices / USED_SHARE)
    return int(min(size, max(SIZES[0], 2 ** np.ceil(np.log2(max(wanted, 1))))))


def fidelity(baked: Scene, source: Scene, samples: int = 20_000, seed: int = 0) -> Fidelity:
    """The baked texture read where ``source``'s vertices fall on the baked surface, against
    those vertices' own colours: mean and 95th percentile of the RGB difference."""
    colours = np.concatenate([vertex_colours(source, p) for p in source.primitives])
    positions = source.merged.positions
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(positions), size=min(samples, len(positions)), replace=False)
    primitive = baked.primitives[0]
    surface = Surface(primitive.arrays)
    faces, weights, _ = surface.closest(positions[pick])
    slot = baked.material(primitive).base_color_texture
    assert slot is not None and primitive.arrays.uvs is not None, "measures a baked scene"
    uvs = surface.interpolate(primitive.arrays.uvs, faces, weights)
    read = sample_texture(baked.textures[slot.texture].image, uvs)
    error = np.abs(read[:, :3] - colours[pick, :3]).mean(axis=1) * 255
    return Fidelity(float(error.mean()), float(np.percentile(error, 95)), len(pick))


def _unwrap(low: MeshArrays, normals: np.ndarray, size: int):
    """xatlas's charts packed for a ``size`` texture: (original vertex of each new vertex,
    triangles, UVs with glTF's origin at the top-left).

    The mesh goes to xatlas in patches of about CLUSTER triangles (k-means on their centres):
    its chart growing is worse than linear (19 s for 50k triangles in one piece, under 2 s in
    patches), and a patch seldom needs more than a few charts anyway."""
    import xatlas
    from scipy.cluster.vq import kmeans2

    count = max(1, -(-len(low.indices) // CLUSTER))
    labels = np.zeros(len(low.indices), dtype=np.int64)
    if count > 1:
        centres = low.positions[low.indices].mean(axis=1).astype(np.float64)
        _, labels = kmeans2(centres, count, seed=0, minit="++", iter=5)
    # xatlas works in absolute units (a 3 mm model came back with NaN UVs): a unit size.
    low_corner, high_corner = low.bounds.astype(np.float64)
    scale = 1.0 / max(float(np.linalg.norm(high_corner - low_corner)), 1e-30)
    positions = ((low.positions - low_corner) * scale).astype(np.float32)
    atlas = xatlas.Atlas()
    patches = []
    for label in range(count):
        faces = low.indices[labels == label]
        if not len(faces):
            continue
        used, local = np.unique(faces, return_inverse=True)
        atlas.add_mesh(positions[used], local.reshape(-1, 3).astype(np.uint32), normals[used])
        patches.append(used)
    pack = xatlas.PackOptions()
    pack.resolution = size
    pack.padding = PADDING
    pack.bilinear = True
    atlas.generate(pack_options=pack)
    mappings, triangles, coordinates, start = [], [], [], 0
    for i, used in enumerate(patches):
        mapping, indices, uvs = atlas[i]
        mappings.append(used[mapping])
        triangles.append(indices.astype(np.int64) + start)
        coordinates.append(uvs)
        start += len(mapping)
    return np.concatenate(mappings), np.concatenate(triangles), np.concatenate(coordinates)


class _Colours:
    """The colour of a source scene at points on its surface: vertex colours blended, or the
    base-colour texture read at the blended UV."""

    def __init__(self, source: Scene) -> None:
        self.source = source
        self.surface = Surface(source.merged)
        sizes = [len(p.arrays.indices) for p in source.primitives]
        self.first_face = np.cumsum([0, *sizes])
        starts = np.cumsum([0, *[len(p.arrays.positions) for p in source.primitives]])
        self.first_vertex = starts

    def at(self, points: np.ndarray) -> np.ndarray:
        faces, weights, _ = self.surface.closest(points)
        out = np.empty((len(points), 4), dtype=np.float32)
        owner = np.searchsorted(self.first_face, faces, side="right") - 1
        for index, primitive in enumerate(self.source.primitives):
            mine = owner == index
            if not mine.any():
                continue
            local = self.surface.indices[faces[mine]] - self.first_vertex[index]
            material = self.source.material(primitive)
            slot, arrays = material.base_color_texture, primitive.arrays
            if slot is not None and arrays.uvs is not None and arrays.colors is None:
                uv_set = arrays.uvs1 if slot.uv_set == 1 and arrays.uvs1 is not None else arrays.uvs
                uvs = np.einsum("qc,qcj->qj", weights[mine], uv_set[local])
                texture = self.source.textures[slot.texture].image
                factor = np.asarray(material.base_color, dtype=np.float32)
                out[mine] = sample_texture(texture, uvs) * factor
            else:
                values = vertex_colours(self.source, primitive)
                out[mine] = np.einsum("qc,qcj->qj", weights[mine], values[local])
        return out


def _raster(positions, indices, uvs, size, colours: _Colours, step: Fraction, cancel) -> np.ndarray:
    """Every texel whose centre a triangle covers, coloured from the source, then the rest
    filled from its nearest covered texel."""
    from scipy import ndimage

    image = np.zeros((size, size, 4), dtype=np.float32)
    covered = np.zeros((size, size), dtype=bool)
    corners = uvs[indices].astype(np.float64) * size - 0.5  # texel centres at integers
    low = np.clip(np.ceil(corners.min(axis=1)), 0, size - 1).astype(np.int32)
    high = np.clip(np.floor(corners.max(axis=1)), 0, size - 1).astype(np.int32)
    spans = np.maximum(high - low + 1, 0)
    counts = spans[:, 0] * spans[:, 1]
    planes = _barycentric_planes(corners)
    bounds = np.searchsorted(np.cumsum(counts), np.arange(RASTER_CHUNK, counts.sum(), RASTER_CHUNK))
    for done, group in enumerate(np.split(np.arange(len(indices)), bounds)):
        if cancel:
            cancel.check()
        n = counts[group]
        if not n.sum():
            continue
        offset = np.arange(n.sum(), dtype=np.int32) - np.repeat(np.cumsum(n) - n, n).astype(
            np.int32
        )
        tri = np.repeat(group, n)  # each candidate's triangle
        width = spans[tri, 0]
        x = low[tri, 0] + offset % width
        y = low[tri, 1] + offset // width
        v = planes[tri, 0] * x + planes[tri, 1] * y + planes[tri, 2]  # v and w as planes in x, y
        w = planes[tri, 3] * x + planes[tri, 4] * y + planes[tri, 5]
        inside = (v >= -1e-6) & (w >= -1e-6) & (v + w <= 1 + 1e-6)
        tri = tri[inside]
        x, y, v, w = x[inside], y[inside], v[inside, None], w[inside, None]
        a, b, c = (positions[indices[tri, i]] for i in range(3))
        points = (a + v * (b - a) + w * (c - a)).astype(np.float32)
        image[y, x] = colours.at(points)
        covered[y, x] = True
        step(0.35 + 0.6 * (done + 1) / (len(bounds) + 1))
    # To bytes in place, then filled: no float copies of the whole texture.
    np.clip(image, 0, 1, out=image)
    image *= 255
    texture = np.rint(image, out=image).astype(np.uint8)
    del image
    if covered.any():
        rows, cols = ndimage.distance_transform_edt(
            ~covered, return_distances=False, return_indices=True
        )
        texture = texture[rows, cols]
    return texture


def _barycentric_planes(corners: np.ndarray) -> np.ndarray:
    """(T, 6) float32: for each triangle in texel space, the barycentric weights of its second
    and third corners as planes v = a x + b y + c and w = d x + e y + f. A triangle with no
    area gets planes that nothing satisfies."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
    flat = np.abs(det) <= 1e-12
    det[flat] = 1.0
    # Solving [e1 e2] (v, w) = p - a by Cramer's rule.
    va, vb = e2[:, 1] / det, -e2[:, 0] / det
    wa, wb = -e1[:, 1] / det, e1[:, 0] / det
    vc = -(va * a[:, 0] + vb * a[:, 1])
    wc = -(wa * a[:, 0] + wb * a[:, 1])
    planes = np.column_stack([va, vb, vc, wa, wb, wc])
    planes[flat] = (0, 0, -1, 0, 0, -1)
    return planes.astype(np.float32)


def _closed(indices: np.ndarray) -> bool:
    """Every edge shared by exactly two triangles: the inside is never seen, so one side
    will do (a game engine draws it at half the cost)."""
    a, b = indices.ravel(), np.roll(indices, -1, axis=1).ravel()
    edges = np.sort(np.column_stack([a, b]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool((counts == 2).all())
