"""``python examples/helpdesk [--db URL]`` from a checkout: runs the example helpdesk, whose
code ships in the package as :mod:`activitylog.demo.helpdesk` (see README.md here)."""

import runpy

runpy.run_module("activitylog.demo.helpdesk", run_name="__main__", alter_sys=True)
