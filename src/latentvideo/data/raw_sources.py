"""Raw inputs as named members: a folder, a zip or a tar (any compression), read safely.

Every dataset's raw files may be placed unpacked or as the archives they are published in. Members are
listed with POSIX names relative to the archive root; a member with an absolute path or a ``..``
component is refused (never extracted, never read). A truncated or corrupt archive raises
:class:`CorruptMemberError` naming the archive and the member.
"""

from __future__ import annotations

import fnmatch
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class UnsafeMemberError(ValueError):
    """An archive member would escape the folder it is read into (absolute path or ``..``)."""


class CorruptMemberError(OSError):
    """A member of a raw input cannot be read completely (truncated or corrupt archive, bad file)."""


def check_member_name(archive: str | Path, name: str) -> str:
    """Return ``name`` normalised, or raise :class:`UnsafeMemberError` naming the archive and member."""
    posix = name.replace("\\", "/")
    path = PurePosixPath(posix)
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in path.parts:
        raise UnsafeMemberError(f"{archive}: refusing member {name!r} (absolute path or '..' component)")
    return str(path)


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


@dataclass(frozen=True)
class Member:
    """One raw file: ``container`` (a folder or an archive path) and ``name`` inside it."""

    container: Path
    name: str

    @property
    def label(self) -> str:
        return f"{self.container}:{self.name}" if is_archive(self.container) else str(self.container / self.name)

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


class RawSource:
    """Read-only view of one container (folder, zip or tar)."""

    def __init__(self, container: str | Path):
        self.container = Path(container)
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._tar_members: dict[str, tarfile.TarInfo] = {}

    def __enter__(self) -> RawSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for handle in (self._zip, self._tar):
            if handle is not None:
                handle.close()
        self._zip = self._tar = None

    def names(self) -> list[str]:
        """All file members, sorted, each checked by :func:`check_member_name`."""
        c = self.container
        if c.is_dir():
            return sorted(str(p.relative_to(c).as_posix()) for p in c.rglob("*") if p.is_file())
        try:
            if c.name.lower().endswith(".zip"):
                self._zip = self._zip or zipfile.ZipFile(c)
                infos = [i.filename for i in self._zip.infolist() if not i.is_dir()]
            else:
                self._tar = self._tar or tarfile.open(c, "r:*")
                members = self._tar.getmembers()
                self._tar_members = {m.name: m for m in members if m.isfile()}
                infos = list(self._tar_members)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise CorruptMemberError(f"{c}: cannot list the archive ({err}); re-download or re-place it") from err
        return sorted(check_member_name(c, n) for n in infos)

    def members(self, pattern: str = "*") -> list[Member]:
        """Members whose basename matches the glob ``pattern`` (case-insensitive)."""
        pat = pattern.lower()
        return [Member(self.container, n) for n in self.names() if fnmatch.fnmatch(PurePosixPath(n).name.lower(), pat)]

    def read(self, name: str) -> bytes:
        """The whole member ``name`` as bytes; :class:`CorruptMemberError` names it when it is unreadable."""
        c = self.container
        check_member_name(c, name)
        try:
            if c.is_dir():
                return (c / name).read_bytes()
            if self._zip is None and self._tar is None:
                self.names()
            if self._zip is not None:
                return self._zip.read(name)
            assert self._tar is not None
            handle = self._tar.extractfile(self._tar_members[name])
            if handle is None:
                raise CorruptMemberError(f"{c}:{name}: not a regular file")
            data = handle.read()
            if len(data) != self._tar_members[name].size:
                raise EOFError(f"read {len(data)} of {self._tar_members[name].size} bytes")
            return data
        except CorruptMemberError:
            raise
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError, KeyError) as err:
            raise CorruptMemberError(f"{c}:{name}: truncated or corrupt member ({err})") from err


def containers(raw_dir: str | Path) -> list[Path]:
    """The folder itself plus every archive directly or deeper inside it, sorted."""
    raw_dir = Path(raw_dir)
    return [raw_dir, *sorted(p for p in raw_dir.rglob("*") if is_archive(p))]


def find_members(raw_dir: str | Path, pattern: str) -> list[Member]:
    """Members matching ``pattern`` in the folder (loose files) and in every archive inside it."""
    found: list[Member] = []
    for container in containers(raw_dir):
        with RawSource(container) as src:
            found += [m for m in src.members(pattern) if not (container.is_dir() and is_archive(container / m.name))]
    return found


def read_member(member: Member) -> bytes:
    with RawSource(member.container) as src:
        return src.read(member.name)


def iter_read(members: list[Member]) -> Iterator[tuple[Member, bytes]]:
    """Read many members, opening each archive once (in the given order)."""
    open_sources: dict[Path, RawSource] = {}
    try:
        for m in members:
            if m.container not in open_sources:
                open_sources[m.container] = RawSource(m.container)
            yield m, open_sources[m.container].read(m.name)
    finally:
        for src in open_sources.values():
            src.close()
