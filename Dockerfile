FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# WeasyPrint (the stats PDF) draws with Pango and HarfBuzz; the fonts give it text and the
# emoji that posts carry (without them a PDF shows empty boxes).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*
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
