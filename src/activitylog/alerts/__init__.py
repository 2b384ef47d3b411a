"""Alerts: built-in and custom rules evaluated over each workspace's log as it is written
(the ``alerts`` follower), alerts raised, extended while a burst goes on, acknowledged
and resolved, every step recorded in the workspace's own log.

``Alerts(log)`` is the facade the CLI, the API and the Alerts page use.
"""

from activitylog.alerts.model import Alert, RuleState
from activitylog.alerts.rules import BUILTINS, SEVERITIES, STATUSES
from activitylog.alerts.service import Alerts

__all__ = ["BUILTINS", "SEVERITIES", "STATUSES", "Alert", "Alerts", "RuleState"]
