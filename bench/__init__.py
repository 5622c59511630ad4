"""Benchmarks of Warta components against peers, measured in the same run."""
