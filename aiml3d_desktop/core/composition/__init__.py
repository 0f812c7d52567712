"""Scene composition: several models placed together, lit, and exported as one scene.

``document`` is the scene as data (``scene.json``, validated on load), ``history`` its edits
as undoable changes, ``arrange`` the geometry of placing (resting on the ground, rows,
grids and circles with a gap between bounding boxes), ``assemble`` the models behind the
placements (each read once, however often it is placed) and the exported file.
"""
