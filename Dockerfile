# pgwallet: the HTTP facade (and the `pgwallet` command: migrate, seed, verify).
# Slim, non-root, `pip install .`; the database comes from DATABASE_URL.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY facade ./facade
COPY sql ./sql
COPY migrations ./migrations
RUN pip install . && rm -rf /src

RUN useradd --system --create-home --uid 10001 pgwallet
USER pgwallet
WORKDIR /home/pgwallet

ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/ready', timeout=2)"
# exec form: SIGTERM reaches pgwallet, which lets uvicorn finish in-flight requests.
CMD ["pgwallet", "serve"]
