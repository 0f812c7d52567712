"""How a model is lit and shown: the studio, look-dev environments, turntable animations."""
