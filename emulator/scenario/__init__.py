"""Scenario files (YAML) for lab engineers: premises, devices, commands, faults and expectations, with a report.

* ``source`` YAML with line numbers; ``values`` typed arguments; ``payloads`` command contents
* ``parse`` the file, ``actions`` and ``parse_expect`` each step's arguments, ``context`` the names
  declared so far: everything is checked before anything runs (errors name the line)
* ``world`` the running HAN; ``steps`` what each action does; ``expect`` the checks
* ``runner`` runs a scenario; ``report`` text, JSON and JUnit XML

See docs/scenarios.md for the vocabulary.
"""

from .parse import parse_file, parse_scenario
from .report import json_report, junit_xml, text_report
from .runner import ScenarioResult, StepResult, run_scenario
from .source import ScenarioError

__all__ = ["ScenarioError", "ScenarioResult", "StepResult", "json_report", "junit_xml", "parse_file",
           "parse_scenario", "run_scenario", "text_report"]
