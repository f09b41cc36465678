# Sovereign: one image for the API (`sovereign serve`) and the workers (`sovereign worker`).
#
#   docker build -t sovereign .
#   docker run -e SOVEREIGN_DATABASE_URL=postgresql://… -p 8787:8787 sovereign            # API + a worker
#   docker run -e SOVEREIGN_DATABASE_URL=postgresql://… sovereign worker                 # more workers
#
# Configuration is the SOVEREIGN_* environment (docs/configuration.md); deploy/ has compose and Kubernetes files.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/sovereign \
 && /opt/sovereign/bin/pip install --upgrade pip \
 && /opt/sovereign/bin/pip install .

FROM python:3.11-slim
# libgomp1: llama.cpp (xllamacpp) is built with OpenMP, for the optional in-process model.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/sovereign --create-home sovereign
COPY --from=build /opt/sovereign /opt/sovereign
ENV PATH=/opt/sovereign/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SOVEREIGN_DATA_DIR=/var/lib/sovereign \
    SOVEREIGN_HOST=0.0.0.0 \
    SOVEREIGN_PORT=8787 \
    SOVEREIGN_LOG_JSON=true
USER 10001:10001
WORKDIR /var/lib/sovereign
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4)"
ENTRYPOINT ["sovereign"]
CMD ["serve"]
