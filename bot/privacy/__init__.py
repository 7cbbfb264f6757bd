"""Privacy: erasing what identifies a patient, on request or when the retention period ends."""
