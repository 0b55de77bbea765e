# Production image: gunicorn web and the huey worker share it (compose.yaml). It holds the server, the
# bundle contract package (contract/) and the committed bundles; the training code (model_pipeline/) stays out.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends default-libmysqlclient-dev pkg-config build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ requirements/
# requirements/base.txt installs ./contract (the bundle contract: labels, risk rule, preprocessing, manifest checks)
COPY contract/ contract/
RUN pip install --no-cache-dir -r requirements/base.txt -r requirements/ml.txt -r requirements/mysql.txt
COPY server/ server/
# The image's bundles sit outside the artifacts volume's mount point (/app/tflite_artifacts): the compose
# `artifacts` service copies the ones the volume lacks into it (manage.py seed_artifacts), so a new image's
# bundles reach a volume that already exists.
COPY tflite_artifacts/ /app/tflite_artifacts-image/
WORKDIR /app/server
ENV DJANGO_SETTINGS_MODULE=config.settings.base STATIC_ROOT=/app/staticfiles MODEL_ARTIFACTS_DIR=/app/tflite_artifacts
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 app && mkdir -p /data /app/tflite_artifacts && chown app /data /app/tflite_artifacts
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8", "--timeout", "60"]
