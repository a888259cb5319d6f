"""Pure computation for Rapport: sentiment, themes, trend maths, health and alert rules.

Nothing here imports Flask, the database layer or Redis: inputs in, numbers or dataclasses out.
"""
