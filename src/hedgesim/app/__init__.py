"""The classroom page: hedging dynamics live in the browser (Solara, with Mesa's controller).

settings turns what a teacher types or switches into a validated run; session steps one or two
ensembles side by side and keeps what the charts need; narration explains, in plain sentences,
why Belarus moved, with channels saying which news can cause which move; figure, charts and
network draw the figures; page and style lay out the page; server serves it.
"""
