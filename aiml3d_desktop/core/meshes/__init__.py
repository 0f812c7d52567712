"""Meshes in memory (Scene), read from files and written to them."""
