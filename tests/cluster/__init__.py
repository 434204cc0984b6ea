"""The README's cluster, run for real."""
