# The bot as a container image: `eras` is the entry point, `eras run` the default command.
FROM python:3.11-slim

# The bot's user has no home: matplotlib keeps its font cache here instead.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY db ./db
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 eras
USER eras

ENTRYPOINT ["eras"]
CMD ["run"]
