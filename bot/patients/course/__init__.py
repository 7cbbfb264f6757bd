"""The course of a follow-up as the team steers it: on hold, resumed, withdrawn, out of reach,
moved to another protocol, corrected."""
