-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- Each service owns its database and logs in with its own role; the passwords are for the
-- local docker-compose stack only (the services run with <PREFIX>ENVIRONMENT=development).
CREATE ROLE registry LOGIN PASSWORD 'registry-dev';
CREATE ROLE submissions LOGIN PASSWORD 'submissions-dev';
CREATE ROLE awards LOGIN PASSWORD 'awards-dev';
CREATE ROLE notifications LOGIN PASSWORD 'notifications-dev';

CREATE DATABASE registry OWNER registry;
CREATE DATABASE submissions OWNER submissions;
CREATE DATABASE awards OWNER awards;
CREATE DATABASE notifications OWNER notifications;

-- No service may connect to another service's database.
REVOKE CONNECT ON DATABASE registry FROM PUBLIC;
REVOKE CONNECT ON DATABASE submissions FROM PUBLIC;
REVOKE CONNECT ON DATABASE awards FROM PUBLIC;
REVOKE CONNECT ON DATABASE notifications FROM PUBLIC;
