"""hedgesim-calibrate: fit the free mechanism parameters to the 2011-2019 targets with optuna.

The loss is simulated method of moments over the ensemble: for every target the ensemble
statistic's standardised error (its tolerance is the scale; see hedgesim.analysis.pass_rules),
squared and averaged. Each trial runs the same seed (common random numbers), so two trials
differ only by their parameters. The study lives in SQLite in the run folder and resumes where
it stopped; the sampler is optuna's TPE with a fixed seed. At the end the best trial is
re-evaluated on a larger ensemble and written to conf/params/calibrated.yaml, beside the best
trials, an identification report (how tightly the targets pin each parameter) and a comparison
with naive forecasts that have no mechanisms.

Modules, in the order a calibration uses them:

* ``options``: the command line, checked, and the settings it makes;
* ``search``: the free parameters, their ranges and the settings (conf/calibration/search.yaml);
* ``objective``: parameter values -> ensemble run -> targets table;
* ``lock``: one calibration at a time in a run folder;
* ``fingerprint``: what a study's trials depend on, so a resume can refuse a change;
* ``study``: the resumable optuna study;
* ``batches``: trials in batches, proposed from an in-memory copy of the study and stored whole;
* ``workers``: each batch split over forked processes;
* ``identification``: how tightly the best trials and the loss profiles pin each parameter;
* ``refine``: the second search, with what the first one leaves flat fixed;
* ``report``: the calibrated parameters file, the tables and the markdown report;
* ``plausible``: the parameter sets that fit almost as well as the best;
* ``command``: the console script.
"""
