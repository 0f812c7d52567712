"""From raw mesh to usable asset (issue 16): operations from a scene to a new scene, Qt-free.

So far: placing a model (turns, Z-up to Y-up, pivot, real size) in ``transform``.
"""
