"""The classroom page: hedging dynamics live in the browser (Mesa's SolaraViz).

settings turns what a teacher types or switches into a validated run; session steps one or two
ensembles side by side and keeps what the charts need; narration explains, in plain sentences,
why Belarus moved; charts draws the figures; page assembles the SolaraViz page; server serves it.
"""
