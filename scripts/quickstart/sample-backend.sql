-- A small Directus + Express backend database for the quickstart.
CREATE TABLE directus_users (id uuid PRIMARY KEY, email varchar(128) UNIQUE, status varchar(16) NOT NULL DEFAULT 'active');
CREATE TABLE directus_activity (id serial PRIMARY KEY, action varchar(45) NOT NULL, "user" uuid, "timestamp" timestamptz NOT NULL DEFAULT now(), collection varchar(64) NOT NULL, item varchar(255) NOT NULL);
CREATE TABLE contact_messages (id bigserial PRIMARY KEY, name text NOT NULL, email text NOT NULL, message text NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
INSERT INTO directus_users VALUES ('00000000-0000-0000-0000-0000000000c1', 'admin@example.org', 'active');
INSERT INTO directus_activity (action, "user", collection, item) SELECT 'update', '00000000-0000-0000-0000-0000000000c1', 'articles', i::text FROM generate_series(1, 3000) i;
INSERT INTO contact_messages (name, email, message) SELECT 'Visitor ' || i, 'v' || i || '@example.org', repeat('Hello! ', 20) FROM generate_series(1, 500) i;
