"""hedgesim-validate: the pre-registered out-of-sample test of the calibrated model.

At each origin fixed in conf/calibration/validation.yaml, hedgesim-calibrate's search is fed only
the evidence targets that end by the origin; its best parameters are then judged on the evidence
targets after the origin, against parameter sets drawn at random from the search ranges, a naive
baseline fitted to the same training targets, and the full-period calibration.

Modules, in the order a validation uses them:

* ``plan``: the pre-registered settings (validation.yaml);
* ``split``: which targets train and which are held out at an origin;
* ``calibrate``: each origin's resumable optuna study on its training targets;
* ``benchmarks``: prior draws, the fitted naive baseline, the full-period calibration;
* ``scoring``: held-out scores, the comparison and the verdict;
* ``report``: report.md, summary.json, the tables and calibrations.yaml;
* ``command``: the console script.
"""
