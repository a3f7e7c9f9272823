"""A real single-node Slurm cluster (Debian ``slurm-wlm`` + ``munge``) in a private directory.

Used by the cluster tests and the scheduling benchmark; a developer can also bring one up by hand:

    python tests/local_slurm.py up /tmp/lv-slurm     # prints the SLURM_CONF to export, keeps running
    python tests/local_slurm.py down /tmp/lv-slurm

Everything lives under one directory: the munge key and socket, ``slurm.conf`` and ``gres.conf``, state,
spool, pid and log files; ports are picked free. One file goes outside it: a copy of ``slurm.conf`` at the
default path /etc/slurm/slurm.conf, because the executor's job steps run ``srun`` with every ``SLURM_*``
variable but the job id removed (SLURM_CONF included), and ``srun`` then looks there. The copy carries a
marker line and is removed at teardown; a foreign /etc/slurm/slurm.conf is never touched (the cluster then
refuses to start, see ``why_unavailable``).
The node declares two fake GPUs (``Gres=gpu:2`` backed by /dev/null and /dev/zero), so ``--gpus=1``
requests are really scheduled and jobs see ``CUDA_VISIBLE_DEVICES``. Teardown cancels the cluster's
jobs, shuts the daemons down and ends only the processes this module started (by pid).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# latentvideo local test cluster:"
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")


def missing_binaries() -> list[str]:
    """Slurm / munge executables that are not installed (empty when a cluster can be started)."""
    paths = [*(f"/usr/sbin/{d}" for d in DAEMONS)]
    missing = [p for p in paths if not os.access(p, os.X_OK)]
    missing += [c for c in CLIENTS if shutil.which(c) is None]
    return missing


def why_unavailable() -> str | None:
    """A sentence saying why no local cluster can run here, or None when one can."""
    missing = missing_binaries()
    if missing:
        return ("Slurm is not installed (missing: " + ", ".join(missing) + "); `.ci/run` installs it with "
                "`apt-get install slurm-wlm munge`")
    if os.geteuid() != 0:
        return "a local Slurm cluster needs root (slurmd launches jobs as their user); run the tests as root"
    if DEFAULT_CONF.exists() and not DEFAULT_CONF.read_text(errors="replace").startswith(MARKER):
        return (f"{DEFAULT_CONF} belongs to a Slurm installation on this machine; the test cluster needs that "
                "path (job steps drop SLURM_CONF) and leaves foreign configurations alone")
    return None


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _node_line() -> tuple[str, int, int]:
    """(node name, CPUs, RealMemory MB) as slurmd itself detects them."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(tok.split("=", 1) for tok in out.split() if "=" in tok)
    return fields["NodeName"], int(fields["CPUs"]), int(fields["RealMemory"])


@dataclass
class LocalSlurm:
    """A running single-node cluster; ``env`` is what a client process needs (SLURM_CONF)."""

    root: Path
    node: str = ""
    cpus: int = 0
    mem_mb: int = 0
    gpus: int = 2
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    # -- bring-up -------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> LocalSlurm:
        for sub in ("etc", "munge", "state", "spool", "log", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "munge", 0o700)
        self.node, self.cpus, real_mb = _node_line()
        self.mem_mb = max(1024, int(real_mb * 0.9))
        self._start_munge()
        self._write_config()
        self._spawn("slurmctld", ["/usr/sbin/slurmctld", "-D", "-c", "-f", str(self.conf)])
        self._spawn("slurmd", ["/usr/sbin/slurmd", "-D", "-f", str(self.conf)])
        self._wait_idle(timeout)
        (self.root / "cluster.json").write_text(json.dumps({"pids": self.pids, "conf": str(self.conf)}))
        return self

    def _start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
            os.chmod(key, 0o400)
        m = self.root / "munge"
        self._spawn("munged", ["/usr/sbin/munged", "--foreground", "--force", f"--key-file={key}",
                               f"--socket={m / 'munge.socket'}", f"--pid-file={m / 'munged.pid'}",
                               f"--log-file={m / 'munged.log'}", f"--seed-file={m / 'munged.seed'}"])
        deadline = time.time() + 20
        while not (m / "munge.socket").exists():
            if time.time() > deadline:
                raise RuntimeError(f"munged did not create its socket; see {m / 'munged.log'}")
            time.sleep(0.1)

    def _write_config(self) -> None:
        ctld_port, d_port = _free_ports(2)
        r = self.root
        lines = [
            "ClusterName=latentvideo-test",
            f"SlurmctldHost={self.node}",
            f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={d_port}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={r / 'munge' / 'munge.socket'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=sched_interval=1",
            # squeue must still list a finished job when the executor next polls (it polls every 40 s).
            "MinJobAge=600",
            "KillWait=5",
            "JobRequeue=1",
            "GresTypes=gpu",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={r / 'log' / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            f"NodeName={self.node} CPUs={self.cpus} RealMemory={self.mem_mb} Gres=gpu:{self.gpus} State=UNKNOWN",
            f"PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO",
        ]
        text = f"{MARKER} {r}\n" + "\n".join(lines) + "\n"
        self.conf.write_text(text)
        if DEFAULT_CONF.exists() and not DEFAULT_CONF.read_text(errors="replace").startswith(MARKER):
            raise RuntimeError(f"{DEFAULT_CONF} belongs to another Slurm installation; not starting a test cluster")
        DEFAULT_CONF.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_CONF.write_text(text)
        devices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random"][: self.gpus]
        (self.conf.parent / "gres.conf").write_text(
            "".join(f"NodeName={self.node} Name=gpu File={d}\n" for d in devices))

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.root / "log" / f"{name}.out", "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                start_new_session=True)
        log.close()
        self.pids[name] = proc.pid

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.time() + timeout
        last = ""
        while time.time() < deadline:
            for name, pid in self.pids.items():
                if not _alive(pid):
                    raise RuntimeError(f"{name} exited during start-up; see {self.root / 'log'}:\n"
                                       + _tail(self.root / "log" / f"{name}.out"))
            res = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True,
                                 env=self.env)
            last = (res.stdout + res.stderr).strip()
            if res.returncode == 0 and last in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Slurm node did not become idle within {timeout:.0f} s (sinfo: {last!r}); "
                           f"logs in {self.root / 'log'}")

    # -- use ------------------------------------------------------------------------------------
    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a Slurm client command against this cluster."""
        return subprocess.run(list(argv), capture_output=True, text=True, env=self.env, check=check)

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still knows: id, name, state, comment, restarts, gres."""
        out = self.run("squeue", "-h", "--states=all", "-o", "%i|%j|%T|%k").stdout
        rows = []
        for line in out.splitlines():
            jid, name, state, comment = line.split("|", 3)
            rows.append({"id": jid, "name": name, "state": state, "comment": comment})
        return rows

    def show_job(self, job_id: str) -> dict[str, str]:
        out = self.run("scontrol", "show", "job", "-o", job_id).stdout
        return dict(tok.split("=", 1) for tok in out.split() if "=" in tok)

    # -- teardown -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job, shut the daemons down, end only our own processes."""
        if self.pids.get("slurmctld") and _alive(self.pids["slurmctld"]):
            self.run("scancel", "--full", "--user", "root", check=False)
            deadline = time.time() + 15
            while time.time() < deadline and any(j["state"] in ("RUNNING", "COMPLETING", "PENDING")
                                                 for j in self._jobs_quiet()):
                time.sleep(0.5)
            self.run("scontrol", "shutdown", check=False)
        for name, grace in (("slurmd", 10.0), ("slurmctld", 10.0), ("munged", 0.0)):
            pid = self.pids.get(name)
            if pid:
                _end(pid, grace)
        if DEFAULT_CONF.exists() and DEFAULT_CONF.read_text(errors="replace").startswith(f"{MARKER} {self.root}\n"):
            DEFAULT_CONF.unlink()

    def _jobs_quiet(self) -> list[dict[str, str]]:
        try:
            return self.jobs()
        except (subprocess.CalledProcessError, ValueError):
            return []

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _end(pid: int, grace: float) -> None:
    """Give ``pid`` ``grace`` seconds to exit on its own, then 10 s after SIGTERM, then SIGKILL."""
    for sig, wait in ((None, grace), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if not _alive(pid):
            return
        if sig is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.time() + wait
        while time.time() < deadline and _alive(pid):
            time.sleep(0.2)


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("up", "down"):
        print(__doc__)
        return 2
    root = Path(argv[1]).resolve()
    if argv[0] == "up":
        reason = why_unavailable()
        if reason:
            print(reason, file=sys.stderr)
            return 1
        cluster = LocalSlurm(root).start()
        print(f"export SLURM_CONF={cluster.conf}")
        return 0
    state = json.loads((root / "cluster.json").read_text())
    cluster = LocalSlurm(root, pids={k: int(v) for k, v in state["pids"].items()})
    cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
