"""Blueprints: each translates HTTP to one call of the comment's path and back."""
