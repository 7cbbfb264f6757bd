"""eras protocol: validate, show, score, diff, load and export protocols."""
