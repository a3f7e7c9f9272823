"""Declarations of the dataset kinds (``KINDS`` in each module), read by :mod:`latentvideo.data.dataset_kinds`."""
