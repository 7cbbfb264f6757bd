"""What a patient and their care team write to each other outside the check-ins, and the
team's notes for the record.

A patient's words, photo or voice message are kept and shown to the team as a card; a
nurse or surgeon of the patient's team answers from the card (Telegram) or from the
patient's page (console), through the same use case. Notes are kept with the record and
never reach the patient. All of it is erased with the patient; the audit log names who
wrote to whom by id, never what.
"""
