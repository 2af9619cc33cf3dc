"""Getting a rendered digest to people: SMTP mail (``smtp``) and files (``files``)."""
