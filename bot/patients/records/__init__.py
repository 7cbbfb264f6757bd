"""What the care team and admins see of the patients: lists, a record, the roster."""
