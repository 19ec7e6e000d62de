"""Media attached in the compose form (issue 16).

- `sniff.py` (pure): what a file is by its bytes (PNG, JPEG, GIF, MP4, PDF), whole to its
  end, with an image's size and a video's length.
- `storage.py`: files under `VAR_DIR/media/uploads/` and cached thumbnails under
  `VAR_DIR/media/cache/`; never static, never in git.
- `links.py`: the signed (django.core.signing, own salt), one-hour URL from SITE_URL that
  Oktopost's `POST /upload` fetches with HEAD and ranged GETs, without a login.
- `fetch.py`: reading pasted image addresses and media records' resources without
  server-side request forgery (the rules are in its docstring).
- `services.py`: store a file, hand it to `/upload`, poll it (pending → complete/failed,
  then `/video-validate` for a video), add an image by address (`POST /media`), search the
  library (`GET /media`), cache thumbnails. Media records go to the mirror through
  `posts.mirror.media_upsert_raw` (`posts.MediaItem`).
- `selectors.py`: `preview_media(ids)` for the previews and the limits check.
- `views.py`: the upload (editors), its state in words (polled), "send again", the
  library, an image by address, thumbnails (any logged-in reader), the signed source.
"""
