"""R-WAE Table 1 and Fig. 11 on TIMIT: speaker verification from each code, and cross-generation.

For every test segment ``x: (T, 1, 1, bins)`` (real-valued log spectra) the model's posterior gives the mean of
q(z^c | x) and the means of q(z^m_t | .), averaged over t. Appendix C's utterance features average these over
the segments of each utterance: mu^c (the content code, which should identify the speaker) and mu^m (the motion
code, which should not). Every pair of test utterances is a trial, a target trial when both are the same
speaker's; :mod:`latentvideo.metrics.equal_error_rate` gives the EER of the cosine similarities of each feature:
``eer_content`` (lower is better) and ``eer_motion`` (higher is better), fractions in [0, 1].

Fig. 11: ``cross_generation`` test segments of different speakers (the loudest segment of each of that many
speakers spread evenly over the sorted speaker list), decoded with the content of segment i and the motion of
segment j for every i, j (posterior means of both).

The whole test split is read whatever the budget's ``test_videos`` (the EER is a property of the whole set of
trials, and a segment is 4,000 floats). Files: ``metrics.csv``; ``samples.npz`` with ``cross_originals``
float32 ``(P, T, bins)``, ``cross_generation`` float32 ``(P, P, T, bins)`` (row i: content of segment i, column
j: motion of segment j) and ``cross_speakers`` ``(P,)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import not_computed_rows, scalar_row
from latentvideo.metrics.equal_error_rate import cosine_trials, equal_error_rate
from latentvideo.models.sequence_disentangling import SequenceCoder

EVAL_SEED = 1
CODES = ("content", "motion")


class SegmentCodes(NamedTuple):
    """Posterior means of N segments: ``content (N, Dc)``, ``motion (N, Dm)`` (the mean over t of z^m_t's)."""

    content: np.ndarray
    motion: np.ndarray


class UtteranceFeatures(NamedTuple):
    """Appendix C's features of U utterances: ``content (U, Dc)`` (mu^c), ``motion (U, Dm)`` (mu^m) and the
    ``speaker (U,)`` of each."""

    content: np.ndarray
    motion: np.ndarray
    speaker: np.ndarray


@torch.no_grad()
def segment_codes(coder: SequenceCoder, segments: np.ndarray, batch_size: int, device: torch.device) -> SegmentCodes:
    """Posterior means of ``segments: (N, T, 1, bins, 1)`` stored frames."""
    content, motion = [], []
    for start in range(0, len(segments), batch_size):
        x = torch.from_numpy(to_model_layout(segments[start:start + batch_size])).to(device)
        code = coder.encode(x)
        content.append(code.content_q.mean.cpu().numpy())
        motion.append(code.motion_q.mean.mean(0).cpu().numpy())
    return SegmentCodes(np.concatenate(content), np.concatenate(motion))


def utterance_features(codes: SegmentCodes, speaker: np.ndarray, utterance: np.ndarray) -> UtteranceFeatures:
    """The mean segment code of each (speaker, utterance) pair (utterance names such as SA1 recur across speakers),
    in the order of their ``speaker/utterance`` names."""
    keys = np.char.add(np.char.add(speaker.astype(str), "/"), utterance.astype(str))
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    group = group.ravel()
    count = np.bincount(group).astype(np.float64)[:, None]

    def mean(values: np.ndarray) -> np.ndarray:
        sums = np.zeros((len(count), values.shape[1]))
        np.add.at(sums, group, values)
        return sums / count

    return UtteranceFeatures(mean(codes.content), mean(codes.motion), speaker[first])


def cross_segments(speaker: np.ndarray, loudness: np.ndarray, count: int) -> np.ndarray:
    """Indices of ``count`` segments of different speakers (fewer if there are fewer speakers): speakers evenly
    spread over the sorted list, the segment of each with the largest ``loudness (N,)``."""
    speakers = np.unique(speaker)
    chosen = speakers[np.unique(np.linspace(0, len(speakers) - 1, min(count, len(speakers))).round().astype(int))]
    members = [np.flatnonzero(speaker == s) for s in chosen]
    return np.array([m[np.argmax(loudness[m])] for m in members])


def missing_trials(utterances: int, speakers: int, targets: int, trials: int) -> str:
    """Why no EER can be computed from these trials ("" when it can: both kinds are there)."""
    if trials == 0:
        return f"{utterances} test utterance(s): no pair of utterances to compare"
    if targets == 0:
        return (f"no target trial: none of the {speakers} test speakers has two utterances (an equal error rate "
                f"needs target and non-target trials)")
    if targets == trials:
        return ("no non-target trial: the test utterances are all one speaker's (an equal error rate needs target "
                "and non-target trials)")
    return ""


@torch.no_grad()
def cross_generation(coder: SequenceCoder, segments: np.ndarray, device: torch.device) -> np.ndarray:
    """Fig. 11's matrix of ``segments: (P, T, 1, bins, 1)``: float32 ``(P, P, T, bins)``, entry (i, j) decoded
    from the content of segment i and the motion of segment j (posterior means)."""
    code = coder.encode(torch.from_numpy(to_model_layout(segments)).to(device))
    content, motion = code.content_q.mean, code.motion_q.mean
    action = code.action
    rows = []
    for i in range(len(segments)):
        frames = coder.frames(content[i:i + 1].expand(len(segments), -1), motion, action)  # (T, P, 1, 1, bins)
        rows.append(frames.flatten(2).permute(1, 0, 2).cpu().numpy())
    return np.stack(rows).astype(np.float32)


def run(job: EvaluationJob) -> ProtocolResult:
    split = StoredSplit(job.testset, verify=True)
    segments = split.read()
    speaker, utterance = split.label("speaker"), split.label("utterance")
    coder = job.model.coder
    torch.manual_seed(EVAL_SEED)
    codes = segment_codes(coder, segments, job.evaluation["batch_size"], job.device)
    features = utterance_features(codes, speaker, utterance)
    meta = {**job.meta, "samples": 1, "test_videos": len(segments)}
    trials = {name: cosine_trials(getattr(features, name), features.speaker) for name in CODES}
    target = trials["content"].target
    targets = int(target.sum())
    speakers = len(np.unique(speaker))
    why = missing_trials(len(features.speaker), speakers, targets, len(target))
    rows, not_computed = [], {}
    for name in CODES:
        metric = f"eer_{name}"
        if why:
            rows += not_computed_rows(meta, metric, why)
            not_computed[metric] = why
        else:
            rows.append(scalar_row(meta, metric, equal_error_rate(*trials[name]), len(target)))
    chosen = cross_segments(speaker, segments.mean(axis=(1, 2, 3, 4)),
                            job.protocol.get("cross_generation", 16))
    torch.manual_seed(EVAL_SEED)
    arrays = {"cross_originals": segments[chosen][:, :, 0, :, 0].astype(np.float32),
              "cross_generation": cross_generation(coder, segments[chosen], job.device),
              "cross_speakers": speaker[chosen].astype(str)}
    summary = write_results(job.out_dir, rows, arrays)
    statement = (f"{trained_at(meta)}; all {len(segments)} TIMIT test segments of {segments.shape[1]} frames, "
                 f"{len(features.speaker)} utterances of {speakers} speakers: {len(target)} "
                 f"trials, {targets} of them target (same speaker); cosine similarity of the posterior means "
                 f"averaged over each utterance's segments (R-WAE Appendix C)")
    lines = [f"{metric} = {value:.4f}" for metric, (value, _) in summary.items()]
    return ProtocolResult(summary, statement, lines=[*lines, statement], not_computed=not_computed,
                          record={"utterances": len(features.speaker), "speakers": speakers,
                                  "trials": len(target), "target_trials": targets})


SETTINGS: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "cross_generation": {"type": "integer", "minimum": 1,
                             "description": "segments of different speakers in Fig. 11's matrix (the paper: 16)"},
    },
}
PROTOCOLS = {"speaker_verification": ProtocolSpec(
    run=run, requires=("encode",), settings_schema=SETTINGS,
    description="R-WAE Table 1 and Fig. 11: speaker-verification EER of z^c and z^m on TIMIT, cross-generation")}
