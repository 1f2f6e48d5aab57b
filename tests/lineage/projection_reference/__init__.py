"""The projector as it was before batch projection (one event at a time, a query per lookup).

Kept as a test oracle only: batch projection must leave the tables exactly as this does.
"""

from projection_reference.projector import Projector

__all__ = ["Projector"]
