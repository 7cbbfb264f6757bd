"""The console's pages: each takes a signed-in staff member's visit (or, for the sign-in
pages, the request), calls a use case and renders its template."""
