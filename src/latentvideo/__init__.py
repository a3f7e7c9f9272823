"""latentvideo: one reproducible DAG for a family of latent video models.

Video tensors in memory are float ``(T, B, C, H, W)`` in [0, 1]; on disk they are
uint8 ``(N, T, H, W, C)`` shards with a manifest (see :mod:`latentvideo.data.shards`).
"""

__version__ = "0.1.0"
