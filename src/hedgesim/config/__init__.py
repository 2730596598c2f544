"""Configuration: the Hydra structured schema, composition of conf/, override checks, and the
translation of a composed config into a validated run (a RunSpec the core can run)."""
