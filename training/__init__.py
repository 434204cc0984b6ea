"""Training library for the comment classifier.

Stands on its own: no Flask, no database. The web app hands moderator decisions
in as plain :class:`training.datasets.Example` values.
"""
