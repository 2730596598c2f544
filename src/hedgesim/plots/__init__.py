"""Matplotlib figures drawn from DataFrames only. No module here chooses a backend: the command
line and the workflows choose Agg where they save figures."""
