"""Benchmarks (`make bench`): figures and ratios against named peers, never timed assertions."""
