"""Checking the ``settings`` documents of events and occurrences with the shared rule parsers.

The rules themselves read these settings (refunds, fees, check-in, cancellation cutoff, recurrence); checking them
when they are saved turns a typo into a 422 naming the setting, instead of a surprise at the door.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import checkin, lifecycle, pricing, recurrence, refunds
from shared.settings import SettingsProblem


def validate_definition_settings(settings: Mapping[str, Any]) -> list[SettingsProblem]:
    problems: list[SettingsProblem] = []
    problems += refunds.parse_refund_policy(settings).problems
    problems += pricing.parse_fee_policy(settings).problems
    problems += checkin.parse_check_in_settings(definition_settings=settings).problems
    problems += lifecycle.parse_occurrence_rules(definition_settings=settings).problems
    if recurrence.RECURRENCE_KEY in settings:
        problems += recurrence.parse_recurrence_settings(settings).problems
    if recurrence.MULTI_DAY_KEY in settings:
        problems += recurrence.parse_multi_day_settings(settings).problems
    return problems


def validate_occurrence_settings(
    definition_settings: Mapping[str, Any], occurrence_settings: Mapping[str, Any]
) -> list[SettingsProblem]:
    problems: list[SettingsProblem] = []
    problems += checkin.parse_check_in_settings(
        definition_settings=definition_settings, occurrence_settings=occurrence_settings
    ).problems
    problems += lifecycle.parse_occurrence_rules(
        definition_settings=definition_settings, occurrence_settings=occurrence_settings
    ).problems
    return problems


def occurrence_rules(
    definition_settings: Mapping[str, Any], occurrence_settings: Mapping[str, Any]
) -> lifecycle.OccurrenceRules:
    """The cutoff and auto-cancel rules in force; the settings were checked when saved."""
    return lifecycle.parse_occurrence_rules(
        definition_settings=definition_settings, occurrence_settings=occurrence_settings
    ).unwrap()
