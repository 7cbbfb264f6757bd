#!/bin/sh
# Run by the postgres image on its first start (/docker-entrypoint-initdb.d): the
# application's role, with the password from ERAS_APP_DB_PASSWORD.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -f /eras/roles.sql
echo "ALTER ROLE eras_app PASSWORD :'password'" |
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v password="$ERAS_APP_DB_PASSWORD"
