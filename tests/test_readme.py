"""README.md stays true: its tables are the registries', its GIF is the one its command makes,
its commands parse, and the two set-up commands are there verbatim."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import optimizers
import surfaces
from lossviz import SCENES
from lossviz import limits
from lossviz.cli import build_parser, join_negative_values
from lossviz.cli_parse import scene_from_args
from lossviz.lecture import NOTEBOOKS

REPO = Path(__file__).resolve().parents[1]


from helpers import tool  # noqa: E402

readme_tables, update_readme = tool("readme").readme_tables, tool("readme").update_readme

README = (REPO / "README.md").read_text(encoding="utf-8")
GIF = REPO / "docs" / "lossviz.gif"

SETUP_COMMANDS = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[lab]' && .venv/bin/jupyter lab notebooks/",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest",
)
REFRESH = "refresh them with"


def test_the_two_setup_commands_are_there():
    for command in SETUP_COMMANDS:
        assert f"```bash\n{command}\n```" in README, command


@pytest.mark.parametrize("name", sorted(readme_tables()))
def test_generated_table_matches_the_registries(name):
    block = re.search(rf"<!-- begin {name} -->\n(.*?)\n<!-- end {name} -->", README, re.S)
    assert block, f"README has no generated '{name}' table"
    assert block.group(1) == readme_tables()[name], (
        f"README's {name} table is out of date; regenerate it with the command after '{REFRESH}' in README.md"
    )


def test_update_readme_is_a_no_op_on_the_committed_readme():
    assert update_readme(README) == README


def test_every_registry_entry_and_notebook_is_listed():
    for name in surfaces.SURFACES:
        assert f"| `{name}` |" in README, name
    for name in optimizers.OPTIMIZERS:
        assert f"| `{name}` |" in README, name
    entries = tool("readme").notebook_entries()
    assert {nb.notebook for nb in NOTEBOOKS} < {nb.notebook for nb in entries}
    for nb in entries:
        assert f"(notebooks/{nb.notebook})" in README, nb.notebook
        assert (REPO / "notebooks" / nb.notebook).is_file(), nb.notebook


def _gif_command() -> list[str]:
    match = re.search(r"`lossviz (gif [^`]*-o docs/lossviz\.gif)`", README)
    assert match, "README does not show the `lossviz gif … -o docs/lossviz.gif` command that made its GIF"
    return shlex.split(match.group(1))


def test_readme_gif_is_small_and_is_what_its_command_makes():
    from PIL import Image

    assert "](docs/lossviz.gif)" in README.split("## Set-up")[0], "the GIF belongs at the top"
    assert GIF.is_file()
    assert GIF.stat().st_size <= 1_000_000  # committed: keep it small (≤ 1 MB)
    args = build_parser().parse_args(_gif_command())
    scene = SCENES[args.scene]
    with Image.open(GIF) as image:
        assert image.format == "GIF"
        frames = image.n_frames
        size = image.size
    from lossviz.export import DEFAULT_FIGSIZE, frame_indices

    assert frames == len(frame_indices(scene.steps, args.frames or scene.frames))
    dpi = args.dpi
    assert size == (round(DEFAULT_FIGSIZE[0] * dpi), round(DEFAULT_FIGSIZE[1] * dpi))


def _cli_lines() -> list[str]:
    """Every `lossviz …` command in the README's bash blocks (continuation lines joined)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith(".venv/bin/lossviz ") or line.startswith("lossviz "):
                commands.append(line.split("lossviz ", 1)[1])
    return commands


def test_readme_cli_commands_parse_and_name_real_scenes():
    commands = _cli_lines()
    assert any(c.startswith("gif ") for c in commands), "README shows no `lossviz gif` command"
    for command in commands:
        args = build_parser().parse_args(join_negative_values(shlex.split(command)))  # as `main` reads them
        if getattr(args, "scene", None):
            assert args.scene in SCENES, command
        if args.command in ("gif", "png", "mp4"):
            scene_from_args(args)  # the scene and its surface (a typed formula too) can be built


def _limit_value(name: str) -> str:
    value = getattr(limits, name)
    if isinstance(value, tuple):
        return " … ".join(f"{v:,}" if isinstance(v, int) else f"{v:g}" for v in value)
    return f"{value:,}"


def test_the_limits_table_says_what_lossviz_limits_enforces():
    block = re.search(r"<!-- begin limits -->\n(.*?)\n<!-- end limits -->", README, re.S)
    assert block, "README has no limits table"
    rows = [r for r in block.group(1).splitlines()[2:]]
    assert rows
    for row in rows:
        _, what, value, _ = row.split("|")
        names = re.findall(r"`([A-Z_]+)`", what)
        values = [v.strip() for v in value.split(" / ")]
        assert len(names) == len(values), row
        for name, shown in zip(names, values):
            assert shown == _limit_value(name), (name, shown)


def test_budget_doc_lists_every_limit_with_its_value():
    doc = (REPO / "docs" / "budget.md").read_text(encoding="utf-8")
    for name in limits.__all__:
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row, f"docs/budget.md has no row for {name}"
        assert f"| {_limit_value(name)} |" in row, (name, row)


def test_docs_the_code_cites_are_in_the_repository():
    for path in ("docs/design.md", "docs/lecture.md", "docs/budget.md"):
        assert (REPO / path).is_file(), path
    assert "docs/design.md" in README and "docs/lecture.md" in README
