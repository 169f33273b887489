"""The archive keeps each delivered file's bytes under their sha256, and names a copy only once
it is on disk: the landing file is deleted after the load, so the archive must last."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from unittest.mock import patch

import pytest

from orchestration.defs.ingest.loader import archive_file


def delivered(tmp_path: Path) -> Path:
    path = tmp_path / "landing" / "acc_queue__tickets_2026-03.CSV"
    path.parent.mkdir()
    path.write_bytes(b"ticket_id;site_id\r\nT1;S00\r\n" * 1000)
    return path


def archived_files(archive: Path) -> list[Path]:
    return sorted(path for path in archive.rglob("*") if path.is_file())


def test_the_archive_names_a_copy_only_once_it_is_on_disk(tmp_path):
    """The copy is flushed, then named, then the folders holding the new name are flushed."""
    path, archive = delivered(tmp_path), tmp_path / "archive"
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    flushed = []  # (inode flushed, what the archive shows once the flush is over)
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        time.sleep(0.05)  # a name given too early would show by now
        flushed.append((os.fstat(descriptor).st_ino, archived_files(archive)))

    with patch("os.fsync", fsync):
        target, digest, size = archive_file(path, archive)

    assert (digest, size) == (sha256, path.stat().st_size)
    assert target == archive / sha256[:2] / f"{sha256}.csv"
    assert target.read_bytes() == path.read_bytes()
    assert not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    (copy, before), *folders = flushed
    assert copy == target.stat().st_ino
    assert target not in before  # flushed, then named
    assert {inode for inode, _ in folders} == {target.parent.stat().st_ino, archive.stat().st_ino}
    assert all(shown == [target] for _, shown in folders)  # then the name flushed
    assert archived_files(archive) == [target]  # no temporary copy left


def test_a_failed_flush_fails_the_archive_and_leaves_nothing(tmp_path):
    path, archive = delivered(tmp_path), tmp_path / "archive"

    def fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    with patch("os.fsync", fsync), pytest.raises(OSError, match="Input/output error"):
        archive_file(path, archive)

    assert archived_files(archive) == []
    assert path.exists()  # the delivery stays in the landing zone
