-- A small Authelia storage database for the quickstart.
CREATE TABLE authentication_logs (id serial PRIMARY KEY, time timestamptz NOT NULL DEFAULT now(), successful boolean NOT NULL, username varchar(100) NOT NULL, remote_ip inet);
CREATE TABLE totp_configurations (id serial PRIMARY KEY, username varchar(100) NOT NULL UNIQUE, issuer varchar(100), algorithm varchar(6) NOT NULL DEFAULT 'SHA1', digits int NOT NULL DEFAULT 6, period int NOT NULL DEFAULT 30, secret bytea NOT NULL);
INSERT INTO authentication_logs (successful, username, remote_ip) SELECT i % 10 <> 0, 'user' || (i % 5), '192.0.2.1' FROM generate_series(1, 2000) i;
INSERT INTO totp_configurations (username, issuer, secret) VALUES ('admin', 'example.org', decode('00112233445566778899aabbccddeeff', 'hex'));
