"""scripts/build-plugin: the zip WordPress's "Upload Plugin" takes."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_zip_holds_the_plugin_in_its_folder_and_nothing_else(tmp_path: Path) -> None:
    run = subprocess.run([str(ROOT / "scripts" / "build-plugin"), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (built,) = tmp_path.glob("sovereign-connector-*.zip")
    assert run.stdout.strip() == str(built)
    names = set(zipfile.ZipFile(built).namelist())
    plugin = ROOT / "wordpress" / "sovereign-connector"
    assert names == {f"sovereign-connector/{p.relative_to(plugin).as_posix()}" for p in plugin.rglob("*") if p.is_file()}
    assert {"sovereign-connector/sovereign-connector.php", "sovereign-connector/uninstall.php",
            "sovereign-connector/readme.txt"} <= names
    header = zipfile.ZipFile(built).read("sovereign-connector/sovereign-connector.php").decode()
    version = next(line.split(":", 1)[1].strip() for line in header.splitlines() if line.startswith(" * Version:"))
    assert built.name == f"sovereign-connector-{version}.zip"
    assert f"Stable tag: {version}" in (plugin / "readme.txt").read_text()
