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
ENV DJANGO_SETTINGS_MODULE=config.settings.base STATIC_ROOT=/app/staticfiles MODEL_ARTIFACTS_DIR=/app/tflite_artifacts VAR_DIR=/data/var
# Production static files: hashed names + gzip/brotli copies (WhiteNoise serves them; config/settings/storage.py).
# A throwaway key: settings refuse to load without one, and nothing signed at build time survives.
RUN SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(48))") python manage.py collectstatic --noinput -v 0
# The mount points of compose's volumes exist in the image, owned by the non-root user: a new named volume
# copies that ownership, so the server can write media, keys, its VAR_DIR and seeded bundles.
RUN useradd --system --uid 10001 app \
    && mkdir -p /data/media /data/keys /data/var /app/tflite_artifacts \
    && chown -R app /data /app/tflite_artifacts
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
