"""A synthetic cohort with known effects, sent through the real check-in pipeline.

``model`` says, seeded, what each made-up patient goes through and answers; ``cohort``
enrols them and lives their follow-up on a simulated clock through the use cases.
"""
