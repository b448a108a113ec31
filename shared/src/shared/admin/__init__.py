"""``ecom-admin``: operators' commands that call the services' REST APIs (``client``) with a
bearer token, with progress shown by rich (``cli``)."""
