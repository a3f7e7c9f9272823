"""Metrics: pure functions of tensors / arrays (never import models). Import each from its module
(``latentvideo.metrics.psnr`` ...): the package itself imports nothing, so reading tidy tables needs no torch."""
