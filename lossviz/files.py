"""Output files: checked before any work starts, written atomically.

Every file lossviz writes (GIF, MP4, PNG, scene files) goes to a hidden temporary file in
the target folder and is renamed into place at the end; any error or interrupt (Ctrl-C,
SIGTERM, SIGHUP: see `lossviz.cli`) removes the temporary file, so a failed export leaves
nothing behind and an existing file is replaced only by a complete one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence


def check_output(path: Any, suffixes: Sequence[str]) -> Path:
    """The output path as a Path: its folder must exist and be writable, and its suffix be
    one of `suffixes`."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ValueError(f"output path must be a file name, got {path!r}")
    p = Path(os.fspath(path)).expanduser()
    if p.suffix.lower() not in suffixes:
        raise ValueError(f"output file {os.fspath(path)!r} must end in {' or '.join(suffixes)}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"output folder {os.fspath(folder)!r} does not exist (for {os.fspath(path)!r})")
    if p.is_dir():
        raise ValueError(f"output path {os.fspath(path)!r} is a folder, not a file name")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"output folder {os.fspath(folder)!r} is not writable (for {os.fspath(path)!r})")
    return p


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a hidden temporary path next to `path`; rename it onto `path` when the block
    succeeds, delete it when the block raises (KeyboardInterrupt included).

    Opened before the work that fills it, so a folder that cannot take the file fails at
    once, with a message naming `path` (not the temporary name)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise ValueError(f"cannot write {os.fspath(path)!r}: {error.strerror or error}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write text atomically (scene files); the folder must exist."""
    p = Path(os.fspath(path)).expanduser()
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"output folder {os.fspath(folder)!r} does not exist (for {os.fspath(path)!r})")
    with atomic_path(p) as tmp:
        tmp.write_text(text, encoding="utf-8")
