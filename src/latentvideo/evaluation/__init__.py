"""Evaluation driver: best-of-N sampling, reference baselines, tidy metric tables."""
