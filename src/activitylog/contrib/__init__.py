"""Integrations with frameworks that need an app of their own (Django), kept out of the
core so their dependencies stay optional: nothing here is imported unless you name it."""
