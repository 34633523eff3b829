"""lossviz.files: output checks and atomic writes, with no import of the export machinery."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lossviz import files


def test_files_module_stands_alone():
    # scenes.py saves through lossviz.files, so scenes → export → scenes is no longer a circle
    code = "import sys, lossviz.files, lossviz.scenes; print('lossviz.export' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_export_still_re_exports_the_helpers():
    from lossviz import export

    assert export.atomic_path is files.atomic_path
    assert export.atomic_write_text is files.atomic_write_text
    assert export.check_output is files.check_output


def test_unwritable_folder_fails_before_any_work(tmp_path, monkeypatch):
    def no_access(path, mode):
        return False

    monkeypatch.setattr(files.os, "access", no_access)
    with pytest.raises(ValueError, match="not writable"):
        files.check_output(tmp_path / "a.gif", (".gif",))


def test_atomic_path_names_the_target_not_the_temp_file(tmp_path, monkeypatch):
    def refuse(**kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    target = tmp_path / "out.gif"
    with pytest.raises(ValueError) as info:
        with files.atomic_path(target):
            raise AssertionError("the block must not run")
    assert repr(str(target)) in str(info.value) and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
