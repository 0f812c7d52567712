"""HTTP for every caller: retries, the shared rate-limit wait, timeouts, which hosts to reach."""
