"""Analysis of model output: targets and their pass rules, ensemble bands, naive baselines and
the scalar outcomes of a scenario. Pure pandas and numpy on tables; no files, no Hydra."""
