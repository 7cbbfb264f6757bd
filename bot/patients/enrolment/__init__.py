"""Enrolling a patient: the episode, its check-in schedule as rows, and the links they open."""
