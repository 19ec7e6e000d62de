FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY oktodash oktodash
COPY accounts accounts
COPY posts posts
COPY oktopost oktopost
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build-only OKTOPOST_SANDBOX=true STATIC_MANIFEST=true python manage.py collectstatic --noinput
RUN useradd --system oktodash && mkdir -p /var/lib/oktodash && chown oktodash /var/lib/oktodash
USER oktodash
EXPOSE 8000
