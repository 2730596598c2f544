"""hedgesim's batched launcher for Hydra multiruns (``hydra/launcher=batched``)."""
