"""``remind templates lint``: one engine that checks template files before anything is sent."""
