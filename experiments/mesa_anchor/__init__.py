"""A plain Mesa implementation of hedgesim's model 2.0, one model per replicate, scalar agents.

The outside anchor for hedgesim's vectorised ensemble: benchmarks time it, and a test checks
that it reproduces the ensemble's replicates.
"""

from mesa_anchor.model import RECORDED, AnchorModel, anchor_model, poisson_count

__all__ = ["RECORDED", "AnchorModel", "anchor_model", "poisson_count"]
