"""`python -m bench` (`make bench`): Rapport measured side by side with plain baselines.

Every number is a ratio against a baseline measured in the same run on the same machine,
so a slow or busy machine moves both sides together. docs/benchmarks.md explains each row.
"""
