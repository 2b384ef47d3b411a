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
        lines += ["## activitylog", "", "```", group.get_help(ctx), "```", ""]
        for name in sorted(group.list_commands(ctx)):
            command = group.get_command(ctx, name)
            assert command is not None
            with click.Context(command, info_name=name, parent=ctx, terminal_width=100) as sub:
                lines += [f"## activitylog {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")
