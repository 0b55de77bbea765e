# Production image: gunicorn web and the huey worker share it (compose.yaml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends default-libmysqlclient-dev pkg-config build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/base.txt -r requirements/ml.txt -r requirements/mysql.txt
COPY server/ server/
COPY model_pipeline/ model_pipeline/
COPY tflite_artifacts/ tflite_artifacts/
WORKDIR /app/server
ENV DJANGO_SETTINGS_MODULE=config.settings.base STATIC_ROOT=/app/staticfiles
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 app && mkdir -p /data && chown app /data
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8", "--timeout", "60"]
