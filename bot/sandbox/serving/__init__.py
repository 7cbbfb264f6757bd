"""The sandbox served over HTTP: the Bot API server, its control API and client, the command."""
