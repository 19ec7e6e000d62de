"""gunicorn reads this file from its working directory (the Procfile's and the Docker
image's): its access and error logs go through oktodash.logredact, so share tokens and
upload signatures never reach them."""

logger_class = "oktodash.logredact.GunicornLogger"
