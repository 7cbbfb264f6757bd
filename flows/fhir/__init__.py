"""FHIR R4 for exchange with other systems: a protocol's questions as a Questionnaire
(``questionnaire``), and a patient's follow-up as a transaction Bundle (``bundle``)."""

from flows.fhir.bundle import (
    AlertRecord,
    EpisodeRecord,
    PatientRecord,
    ResponseRecord,
    approach,
    patient_bundle,
    resource_id,
)
from flows.fhir.questionnaire import export_code, to_fhir_questionnaire

__all__ = [
    "AlertRecord",
    "EpisodeRecord",
    "PatientRecord",
    "ResponseRecord",
    "approach",
    "export_code",
    "patient_bundle",
    "resource_id",
    "to_fhir_questionnaire",
]
