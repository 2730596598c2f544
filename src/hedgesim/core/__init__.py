"""The domain core: calendar, random streams, parameters, shocks, the hedging rule, the agents,
the model, what an observer sees, the ensemble record and the tables built from it.

It imports no configuration framework, no file formats and no plotting (an import contract in
pyproject.toml keeps it so), so the model can be driven from Hydra, a notebook, Mesa's tools or
the classroom page alike.
"""
