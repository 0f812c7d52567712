"""A generation from start to finish: the job, the batch queue, pictures for showing, parts."""
