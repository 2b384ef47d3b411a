"""``python -m activitylog``: the command line."""

from activitylog.cli import main

main()
