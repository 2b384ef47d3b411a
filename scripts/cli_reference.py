"""Write docs/CLI.md from the commands' own --help (tests/test_docs.py keeps it current).

python scripts/cli_reference.py > docs/CLI.md
"""

from __future__ import annotations

import click

from activitylog.cli import main as cli


def reference() -> str:
    lines = [
        "# Command-line reference",
        "",
        "Generated from `activitylog --help`; regenerate with",
        "`python scripts/cli_reference.py > docs/CLI.md`.",
        "",
    ]
    group = cli if isinstance(cli, click.Group) else None
    assert group is not None, "activitylog.cli.main must be a click group"
    with click.Context(group, info_name="activitylog", terminal_width=100) as ctx:
        lines += _sections(group, ctx, "activitylog")
    return "\n".join(lines)


def _sections(command: click.Command, ctx: click.Context, path: str) -> list[str]:
    """``path``'s help, then each subcommand's, depth first (``users add`` included)."""
    lines = [f"## {path}", "", "```", command.get_help(ctx), "```", ""]
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            assert sub is not None
            with click.Context(sub, info_name=name, parent=ctx, terminal_width=100) as inner:
                lines += _sections(sub, inner, f"{path} {name}")
    return lines


if __name__ == "__main__":
    print(reference(), end="")
