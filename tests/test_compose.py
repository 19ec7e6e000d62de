"""docker-compose.yml cannot run here (no Docker engine), so check it by reading it."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Settings read the environment in settings.py and in the modules of oktodash/conf/.
SETTINGS_SOURCE = "\n".join(
    path.read_text()
    for path in [
        ROOT / "oktodash" / "settings.py",
        *sorted((ROOT / "oktodash" / "conf").glob("*.py")),
    ]
)
READ_BY_SETTINGS = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))
# Read by the compose file itself (interpolation), not by Django.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_has_postgres_redis_web_worker_and_exactly_one_beat() -> None:
    services = load_compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    beats = [name for name, svc in services.items() if " beat" in " ".join(svc.get("command", []))]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_every_long_running_service_has_a_health_check_and_volumes_are_named() -> None:
    compose = load_compose()
    for name in ("postgres", "redis", "web", "worker"):
        assert "test" in compose["services"][name]["healthcheck"], name
    for svc in compose["services"].values():
        for volume in svc.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"]


def test_each_command_exists_in_the_project() -> None:
    for name, svc in load_compose()["services"].items():
        command = svc.get("command")
        if name in ("postgres", "redis"):
            continue
        if command[0] == "gunicorn":
            module, attr = command[1].split(".wsgi")[0], "wsgi.py"
            assert (ROOT / module / attr).exists(), name
        elif command[0] == "celery":
            assert command[1:3] == ["-A", "oktodash"]
            assert (ROOT / "oktodash" / "celery.py").exists()
        elif command[:2] == ["python", "manage.py"]:
            assert (ROOT / "manage.py").exists()
        else:
            raise AssertionError(f"unexpected command for {name}: {command}")


def test_env_names_match_what_settings_read() -> None:
    compose = load_compose()
    app_env = set(compose["x-app"]["environment"])
    assert app_env <= READ_BY_SETTINGS, app_env - READ_BY_SETTINGS
    example = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and re.match(r"#?\s*[A-Z_]+=", line)
    }
    assert example - COMPOSE_ONLY <= READ_BY_SETTINGS, example - COMPOSE_ONLY - READ_BY_SETTINGS
    for svc in compose["services"].values():
        if svc.get("env_file"):
            assert svc["env_file"] == ".env"


def test_the_procfile_runs_one_beat_too() -> None:
    lines = (ROOT / "Procfile").read_text().splitlines()
    assert sum(" beat " in line for line in lines) == 1


def test_the_image_has_what_the_pdf_needs() -> None:
    """Before: python:3.13-slim with no Pango, so /stats/report.pdf failed in the image
    WeasyPrint runs in; and no emoji font, so posts' emoji printed as empty boxes."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    installed = " ".join(
        line for line in dockerfile.replace("\\\n", " ").splitlines() if "apt-get install" in line
    ).split()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in installed, package
    assert "fonts-noto-color-emoji" in installed
