"""The remote transport: spool files and delivery to a server over HTTP."""
