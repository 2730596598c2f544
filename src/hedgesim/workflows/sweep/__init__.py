"""A multirun as one table: the Hydra callback that aggregates a sweep, and ``hedgesim-aggregate``.

Each cell of a sweep is one Hydra job that writes its own folder (hedgesim.cli). When the
multirun ends, the callback gathers every cell into

- ``dataset/cell=<k>/part-0.parquet``: one partitioned Parquet dataset of all trajectories,
  each row tagged with its cell and the cell's challenge values (``challenge_trust``,
  ``challenge_vested_interests``, ``challenge_tension``) and any other swept key;
- ``summary.parquet`` and ``summary.csv``: one row per planned cell, its status
  (complete, failed, missing) and its outcomes (hedgesim.analysis.outcomes);
- ``figures/``: heatmaps of the outcome probabilities over the swept challenges and
  trajectory fans (a line per figure drawn or left out, and why, in the sweep's output);
- ``aggregate.json``: what was aggregated, written last.

A cell counts as complete only while its files match its manifest (sizes, checksums, rows); an
aggregation that fails exits non-zero with one line and leaves no summary and no temporary.

Modules, one concept each: :mod:`.plan` (the planned cells and their folders),
:mod:`.aggregate` (summary and dataset), :mod:`.figures` (heatmaps and fans),
:mod:`.callback` (the Hydra callback and the running count), :mod:`.command`
(``hedgesim-aggregate``).
"""
