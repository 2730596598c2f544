"""Workflows that run the model and write results: one run, sweeps and their aggregation,
sensitivity analysis, calibration, reproduction of the baseline, and the parameter tables."""
