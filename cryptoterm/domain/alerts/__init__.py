"""Alert rules: what to watch for (`triggers`), how a rule behaves (`rules`), when it fires (`firing`), and the
numbers its checks compare (`checks`, `conditions`). Pure: the alert engine service feeds it trades, closed bars,
stream health and quality reports, with the market time as an argument."""

from __future__ import annotations

from cryptoterm.domain.alerts.firing import AlertState, Verdict, spent, step
from cryptoterm.domain.alerts.rules import (
    DEFAULT_TEMPLATE,
    TEMPLATE_FIELDS,
    AlertRule,
    AlertRuleError,
    RuleFields,
    build_rule,
    render,
    rule_fields,
)
from cryptoterm.domain.alerts.triggers import (
    ChangeTrigger,
    ConditionTrigger,
    PriceTrigger,
    QualityTrigger,
    StallTrigger,
    Trigger,
    TriggerError,
    VolumeSpikeTrigger,
    ZScoreTrigger,
    parse_duration,
    parse_when,
    trigger_kind,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "TEMPLATE_FIELDS",
    "AlertRule",
    "AlertRuleError",
    "AlertState",
    "ChangeTrigger",
    "ConditionTrigger",
    "PriceTrigger",
    "QualityTrigger",
    "RuleFields",
    "StallTrigger",
    "Trigger",
    "TriggerError",
    "Verdict",
    "VolumeSpikeTrigger",
    "ZScoreTrigger",
    "build_rule",
    "parse_duration",
    "parse_when",
    "render",
    "rule_fields",
    "spent",
    "step",
    "trigger_kind",
]
