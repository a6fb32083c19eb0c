# Talkturo for Slack, HTTP mode (`python -m bot serve`).
#   docker build -t talkturo-slack .
#   docker run -p 3000:3000 -e SLACK_SIGNING_SECRET=... -e SLACK_BOT_TOKEN=... \
#     -e REDIS_URL=redis://redis:6379/0 -e BOT_ENCRYPTION_KEY=... talkturo-slack
# Every setting is an environment variable (see README.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Build from a scratch directory and drop it afterwards: only the installed package stays in the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ ./bot/
RUN pip install --no-cache-dir . \
    && cd / \
    && rm -rf /src

# Unprivileged user with a fixed numeric id (works with Kubernetes runAsNonRoot).
RUN groupadd --system --gid 10001 talkturo \
    && useradd --system --uid 10001 --gid talkturo --no-create-home --shell /usr/sbin/nologin talkturo
WORKDIR /app
USER 10001:10001

ENV HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000

# The slim image has no curl: ask Python. ${PORT} is expanded by the shell when the check runs;
# urlopen raises (exit status 1) on a refused connection, a timeout or a non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT:-3000}/healthz', timeout=4)" || exit 1

CMD ["python", "-m", "bot", "serve"]
