"""Hydra's basic sweeper with a cheaper up-front check (``hydra/sweeper=grouped``, hedgesim's default).

The basic sweeper composes every job's config before launching any, to fail early; a sweep of
125 cells spends most of a minute there. This one checks the same overrides by composing once
per distinct set of config-group overrides and applying each job's plain values by Hydra's own
rules. Everything else (the grid, the batches, the job numbers) is the basic sweeper's.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper


class GroupedBasicSweeper(BasicSweeper):
    """The basic sweeper, checking each batch once per group of structurally equal jobs."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from hedgesim.workflows.sweep.jobs import CellComposer

        assert self.config is not None and self.hydra_context is not None
        CellComposer.of(self.hydra_context.config_loader, self.config).check(batch)
