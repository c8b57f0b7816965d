# syntax=docker/dockerfile:1
# The CRM's image: gunicorn serving Django, static files served by WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# pyproject.toml declares no packages (`packages = []`), so `pip install .`
# installs the dependencies only; the code runs from /app. Only pyproject.toml
# is copied first so that code changes reuse this layer; the build wants the
# declared readme to exist, so an empty placeholder stands in for it.
COPY pyproject.toml ./
RUN touch README.md \
    && pip install --no-cache-dir . \
    && rm -rf README.md build ./*.egg-info

# The source, with the compiled translation catalogues (locale/**/django.mo).
COPY . .

ENV DJANGO_STATIC_MANIFEST=true \
    DJANGO_MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# Hashed, compressed static files for WhiteNoise. The settings need a secret
# key, and a DATABASE_URL so that the embedded PostgreSQL is not started;
# nothing connects to it here. (viewflow's node_modules/ copies are left out
# by crm.staticfiles.AppDirectoriesWithoutNodeModulesFinder.)
RUN DJANGO_SECRET_KEY=build-only-not-a-secret \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput

RUN groupadd --system --gid 1000 crm \
    && useradd --system --uid 1000 --gid crm --home-dir /app --no-create-home crm \
    && mkdir -p /data/media /app/var \
    && chown crm:crm /data/media /app/var
USER crm

EXPOSE 8000

# gunicorn takes the number of workers from WEB_CONCURRENCY (3 unless set).
CMD ["gunicorn", "crm.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
