"""Caregivers: a second Telegram account that answers check-ins for a patient and receives
their emergency advice, added by the patient or their team with its own single-use link."""
