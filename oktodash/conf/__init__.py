"""What oktodash/settings.py is built from: strict readers of the environment and the
builders of its larger values (cache, mail, CSP, logging).

Settings read every variable themselves (one place to find them all), then hand the
values to these; nothing here reads the environment or touches the disk.
"""
