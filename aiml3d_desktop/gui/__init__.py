"""The Qt side: presents what core/ does, and holds no business logic of its own."""
