"""``python examples/helpdesk [--db URL]`` from a checkout: runs the example helpdesk, whose
code ships in the package as :mod:`activitylog.examples.helpdesk` (see README.md here)."""

import runpy

runpy.run_module("activitylog.examples.helpdesk", run_name="__main__", alter_sys=True)
