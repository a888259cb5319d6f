"""RQ jobs: plain functions that take ids, open their own session and call analysis/."""
