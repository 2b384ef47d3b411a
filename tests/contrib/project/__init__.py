"""A small Django project for the integration tests: a shop app, sign-in views, edit views."""
