"""Lockout drills: break a provider, a worker or the database under a Black-Friday burst, measure, report.

    from sovereign.drills import DrillOptions, run_drill, select, write_reports

    run = await run_drill(select("rate-limit-storm"), DrillOptions(progress=print))
    run.passed                                   # every scenario met every target
    paths = write_reports(run, Path("drill-out"))  # report.json, report.html

See docs/drills.md.
"""

from .report import report_json, summary_json, write_reports
from .result import ScenarioResult, Target
from .runner import DrillOptions, DrillRun, run_drill, run_scenario
from .scenarios import SCENARIOS, Scenario, Timing, select

__all__ = [
    "DrillOptions", "DrillRun", "SCENARIOS", "Scenario", "ScenarioResult", "Target", "Timing", "report_json",
    "run_drill", "run_scenario", "select", "summary_json", "write_reports",
]
