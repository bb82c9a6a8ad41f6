-- A small Umami-shaped database for the quickstart.
CREATE TABLE website (website_id uuid PRIMARY KEY, name varchar(100) NOT NULL, domain varchar(500), created_at timestamptz DEFAULT now());
CREATE TABLE session (session_id uuid PRIMARY KEY, website_id uuid NOT NULL REFERENCES website, browser varchar(20), os varchar(20), country char(2), created_at timestamptz DEFAULT now());
CREATE TABLE website_event (event_id uuid PRIMARY KEY, website_id uuid NOT NULL, session_id uuid NOT NULL, created_at timestamptz DEFAULT now(), url_path varchar(500) NOT NULL, event_type int NOT NULL DEFAULT 1, event_data jsonb);
CREATE INDEX website_event_created_at_idx ON website_event (website_id, created_at);
INSERT INTO website VALUES ('00000000-0000-0000-0000-000000000001', 'site', 'example.org');
INSERT INTO session SELECT md5('s' || i)::uuid, '00000000-0000-0000-0000-000000000001', 'firefox', 'linux', 'FR', now() - i * interval '1 minute' FROM generate_series(1, 2000) i;
INSERT INTO website_event SELECT md5('e' || i)::uuid, '00000000-0000-0000-0000-000000000001', md5('s' || (i % 2000 + 1))::uuid, now() - i * interval '10 seconds', '/page/' || (i % 50), 1, jsonb_build_object('n', i) FROM generate_series(1, 50000) i;
