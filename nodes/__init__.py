"""The writer graph's stages, one module per stage, plus their pure helpers."""
