"""Data: digit sources, dataset generators, stored shards. Plain functions over arrays and files, seeded explicitly."""
