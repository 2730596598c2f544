"""The page's stylesheet: type sizes for a projector and the layout of the panel and charts.

Text is at least 15 px (the log and captions), 16 px in the controls and legends; chart titles
are page headings. The app bar title may use the bar's whole width, so it is never cut.

While the server works on a click for more than 0.3 s (Reset builds the model and draws every
chart's frame: seconds on a classroom laptop), Solara shows its busy bar; the app bar hid it, so
it is raised over the app bar and labelled ``BUSY_TEXT``.
"""

BUSY_TEXT = "Working: please wait…"
BUSY = '.v-application:has(> .v-application__wrap > .v-progress-linear[style*="visibility: visible"])'
"""The page while Solara's busy bar is shown (Solara sets it visible 0.3 s into a busy server)."""

CSS = """
.v-app-bar .v-toolbar-title { flex: 1 1 auto; min-width: 0; }
.v-app-bar .v-toolbar-title__placeholder { overflow: visible; white-space: normal; line-height: 1.2; }
.hedgesim-title { font-size: 1.3rem; }
.hedgesim-panel { gap: 12px; }
.hedgesim-card .v-card-title { font-size: 1.15rem; }
.hedgesim-card { font-size: 16px; }
.hedgesim-hint, .hedgesim-compare-note, .hedgesim-kept, .hedgesim-log-help {
  display: block; font-size: 15px; line-height: 1.35; color: #3d3d3d; margin: 4px 0;
}
.hedgesim-compare-note { border-left: 4px solid #e0b000; padding-left: 8px; }
.hedgesim-slider { width: 100%; margin: 2px 0 6px; }
.hedgesim-slider-head { width: 100%; }
.hedgesim-slider-label, .hedgesim-slider-value { font-size: 16px; }
.hedgesim-slider-value { font-weight: 600; font-variant-numeric: tabular-nums; }
.hedgesim-slider-track { width: auto; margin: 0 10px 14px; }
.hedgesim-slider-track .v-slider-track__tick-label { font-size: 13px; }
.hedgesim-shock-group { width: 100%; border-top: 1px solid #e4e4e4; }
.hedgesim-shock-group-head { align-items: center; flex-wrap: nowrap; }
.hedgesim-shock-group-head .v-btn {
  text-transform: none; letter-spacing: 0; font-size: 15px; padding: 0 6px; min-width: 0;
}
.hedgesim-group-toggle { flex: 1 1 auto; justify-content: flex-start; height: auto !important;
  min-height: 36px; padding: 4px 6px !important; }
.hedgesim-shock-group .v-selection-control { min-height: 34px; }
.hedgesim-shock-group .v-input { margin: 0; }
.hedgesim-shock-group .v-input__details { display: none; }
.hedgesim-group-toggle .v-btn__content { white-space: normal; text-align: left; }
.hedgesim-main { padding: 0 4px; }
.hedgesim-date { font-size: 1.5rem; margin: 4px 0; }
.hedgesim-status { display: block; font-size: 16px; }
.hedgesim-error { font-size: 16px; }
.hedgesim-charts { flex-wrap: wrap; gap: 20px 28px; align-items: flex-start; }
.hedgesim-chart { flex: 0 1 auto; }
.hedgesim-chart-title { font-size: 1.2rem; font-weight: 600; margin: 10px 0 2px; line-height: 1.3; }
.hedgesim-chart-image { max-width: 100%; height: auto; }
.hedgesim-legend {
  display: flex; flex-wrap: wrap; gap: 4px 20px; list-style: none; padding: 0; margin: 2px 0;
}
.hedgesim-legend-entry { display: inline-flex; align-items: center; gap: 8px; font-size: 16px; }
.hedgesim-mark {
  display: inline-block; flex: none; width: 30px; height: 0; border-top: 3px solid var(--mark);
}
.hedgesim-mark-dashed { border-top-style: dashed; }
.hedgesim-mark-area { height: 16px; border: none; background: var(--mark); opacity: 0.85; }
.hedgesim-mark-band { height: 16px; border: none; background: var(--mark); opacity: 0.25; }
.hedgesim-mark-diamond { width: 11px; height: 11px; margin: 0 9px; border: none; background: var(--mark);
  transform: rotate(45deg); }
.hedgesim-caption { font-size: 15px; line-height: 1.35; color: #3d3d3d; margin: 2px 0 0; }
.hedgesim-log { margin-top: 16px; }
.hedgesim-log h3 { font-size: 1.2rem; }
.hedgesim-log-columns { flex-wrap: nowrap; align-items: flex-start; }
.hedgesim-log-column {
  flex: 1 1 0; min-width: 0; max-height: 420px; overflow-y: auto; font-size: 15px; line-height: 1.4;
}
.hedgesim-log-entries { padding-left: 18px; }
.hedgesim-log-entries li { margin-bottom: 4px; }
.hedgesim-log-hidden { font-style: italic; color: #3d3d3d; margin: 4px 0 0 18px; }
.v-application__wrap > .v-progress-linear {
  position: fixed !important; z-index: 3000; height: 8px !important; --v-progress-linear-height: 8px;
}
BUSY { cursor: progress; }
BUSY::after {
  content: "BUSY_TEXT"; position: fixed; z-index: 3001; top: 76px; right: 24px;
  padding: 6px 18px; border-radius: 18px; font-size: 18px;
  font-weight: 600; background: #fff3c4; color: #1e1e1e; box-shadow: 0 1px 6px rgba(0, 0, 0, 0.35);
}
""".replace("BUSY_TEXT", BUSY_TEXT).replace("BUSY", BUSY)
