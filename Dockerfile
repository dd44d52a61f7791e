# One image for web, worker and beat (the worker reuses the web image).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/consult
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home consult
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN mkdir -p $VAR_DIR && chown consult $VAR_DIR \
    && DEBUG=true python manage.py collectstatic --no-input -v0 \
    && DEBUG=true python manage.py compilemessages -v0 --ignore=.venv
USER consult
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
