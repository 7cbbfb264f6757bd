"""What every request passes through: the server, the security headers and form checks,
the session guard, and the service endpoints (the webhook, ``/health``)."""
