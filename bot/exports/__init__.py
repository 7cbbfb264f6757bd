"""Exports of the follow-up to other systems: FHIR R4 Bundles."""
