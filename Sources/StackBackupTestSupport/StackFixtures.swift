import Foundation
import StackBackupKit

/// Databases shaped like the stack's apps, for dump and restore tests.
///
/// Each `create…` function fills the (empty) database named by `db` with
/// tables, types, views and data generated on the server. Data is
/// deterministic: the same `rows` give the same content (uuids are derived
/// from md5 of a counter, timestamps from a fixed epoch), so two databases
/// made alike dump to the same bytes.
public enum StackFixtures {
    /// A fixed instant all generated timestamps count from.
    public static let epoch = "2024-01-01 00:00:00+00"

    /// umami: `website`, `session`, `website_event` (uuid primary keys, jsonb,
    /// timestamps, a GIN index). `rows` events, `rows / 10` sessions, 5 websites.
    public static func createUmamiLike(db: PGConnectionConfig, rows: Int) throws {
        let connection = try PGConnection.connect(db)
        let sessions = max(1, rows / 10)
        try connection.execute("""
            CREATE EXTENSION IF NOT EXISTS pgcrypto;
            CREATE TABLE website (
                website_id uuid PRIMARY KEY,
                name varchar(100) NOT NULL,
                domain varchar(500),
                share_id varchar(50) UNIQUE,
                reset_at timestamptz,
                created_at timestamptz DEFAULT now(),
                deleted_at timestamptz);
            CREATE TABLE session (
                session_id uuid PRIMARY KEY,
                website_id uuid NOT NULL REFERENCES website (website_id),
                hostname varchar(100), browser varchar(20), os varchar(20), device varchar(20),
                screen varchar(11), language varchar(35), country char(2),
                created_at timestamptz NOT NULL);
            CREATE TABLE website_event (
                event_id uuid PRIMARY KEY,
                website_id uuid NOT NULL,
                session_id uuid NOT NULL,
                created_at timestamptz NOT NULL,
                url_path varchar(500) NOT NULL,
                url_query varchar(500),
                referrer_domain varchar(500),
                page_title varchar(500),
                event_type integer NOT NULL DEFAULT 1,
                event_name varchar(50),
                event_data jsonb);
            CREATE INDEX website_event_created_at_idx ON website_event (created_at);
            CREATE INDEX website_event_session_idx ON website_event (session_id);
            CREATE INDEX website_event_data_idx ON website_event USING gin (event_data);
            CREATE INDEX website_event_custom_idx ON website_event (event_name) WHERE event_type = 2;

            INSERT INTO website (website_id, name, domain, share_id, created_at)
            SELECT md5('website' || i)::uuid, 'Site ' || i, 'site' || i || '.example.org',
                   CASE WHEN i % 2 = 0 THEN 'share' || i END, timestamptz '\(epoch)' + i * interval '1 day'
            FROM generate_series(1, 5) AS i;

            INSERT INTO session
            SELECT md5('session' || i)::uuid, md5('website' || (1 + i % 5))::uuid, 'site' || (1 + i % 5) || '.example.org',
                   (ARRAY['chrome','firefox','safari','edge'])[1 + i % 4],
                   (ARRAY['Linux','Mac OS','Windows 10','iOS','Android OS'])[1 + i % 5],
                   (ARRAY['desktop','mobile','tablet'])[1 + i % 3],
                   (ARRAY['1920x1080','1440x900','390x844'])[1 + i % 3],
                   (ARRAY['en-US','de-DE','fr-FR','ja-JP'])[1 + i % 4],
                   (ARRAY['US','DE','FR','JP','BR'])[1 + i % 5],
                   timestamptz '\(epoch)' + i * interval '37 seconds'
            FROM generate_series(1, \(sessions)) AS i;

            INSERT INTO website_event
            SELECT md5('event' || i)::uuid, md5('website' || (1 + (i / 10) % 5))::uuid,
                   md5('session' || (1 + i / 10))::uuid,
                   timestamptz '\(epoch)' + i * interval '3.7 seconds',
                   '/blog/' || (i % 997) || '/post-' || (i % 131),
                   CASE WHEN i % 3 = 0 THEN 'utm_source=newsletter&id=' || i END,
                   CASE WHEN i % 4 = 0 THEN 'search.example.com' END,
                   'Post number ' || (i % 131) || ' — a title with ünïcode',
                   CASE WHEN i % 20 = 0 THEN 2 ELSE 1 END,
                   CASE WHEN i % 20 = 0 THEN 'signup-click' END,
                   CASE WHEN i % 20 = 0 THEN jsonb_build_object('plan', 'pro', 'step', i % 7, 'ok', true) END
            FROM generate_series(1, \(rows)) AS i;
            ANALYZE;
            """)
    }

    /// immich: `users`, `asset` (uuid pk, bytea checksum, jsonb exif), `album`,
    /// `album_asset` (composite pk), `smart_search` (a float8[] standing in for
    /// embeddings) and a materialized view. `rows` assets.
    public static func createImmichLike(db: PGConnectionConfig, rows: Int) throws {
        let connection = try PGConnection.connect(db)
        let albums = max(1, rows / 50)
        try connection.execute("""
            CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
            CREATE TYPE asset_type AS ENUM ('IMAGE', 'VIDEO', 'AUDIO', 'OTHER');
            CREATE TABLE users (
                id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
                email varchar NOT NULL UNIQUE,
                name varchar NOT NULL DEFAULT '',
                is_admin boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE asset (
                id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
                owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                original_path text NOT NULL,
                checksum bytea NOT NULL,
                type asset_type NOT NULL,
                file_created_at timestamptz NOT NULL,
                is_favorite boolean NOT NULL DEFAULT false,
                duration interval,
                exif jsonb);
            CREATE INDEX asset_owner_idx ON asset (owner_id, file_created_at DESC);
            CREATE UNIQUE INDEX asset_checksum_idx ON asset (owner_id, checksum);
            CREATE TABLE album (
                id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
                owner_id uuid NOT NULL REFERENCES users (id),
                album_name varchar NOT NULL DEFAULT 'Untitled Album',
                created_at timestamptz NOT NULL);
            CREATE TABLE album_asset (
                album_id uuid NOT NULL REFERENCES album (id) ON DELETE CASCADE,
                asset_id uuid NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (album_id, asset_id));
            CREATE TABLE smart_search (
                asset_id uuid PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
                embedding float8[] NOT NULL);

            INSERT INTO users (id, email, name, is_admin, created_at)
            SELECT md5('user' || i)::uuid, 'user' || i || '@example.org', 'User ' || i, i = 1,
                   timestamptz '\(epoch)' + i * interval '1 hour'
            FROM generate_series(1, 3) AS i;
            INSERT INTO asset
            SELECT md5('asset' || i)::uuid, md5('user' || (1 + i % 3))::uuid,
                   '/photos/' || (2020 + i % 5) || '/IMG_' || lpad(i::text, 6, '0') || '.jpg',
                   sha256(('asset' || i)::bytea),
                   (CASE WHEN i % 10 = 0 THEN 'VIDEO' ELSE 'IMAGE' END)::asset_type,
                   timestamptz '\(epoch)' - i * interval '1 hour', i % 13 = 0,
                   CASE WHEN i % 10 = 0 THEN interval '12 seconds' END,
                   jsonb_build_object('make', 'Camera' || (i % 4), 'iso', 100 * (1 + i % 8), 'lat', 48.1 + (i % 100) / 1000.0)
            FROM generate_series(1, \(rows)) AS i;
            INSERT INTO album
            SELECT md5('album' || i)::uuid, md5('user' || (1 + i % 3))::uuid, 'Album ' || i,
                   timestamptz '\(epoch)' + i * interval '1 day'
            FROM generate_series(1, \(albums)) AS i;
            INSERT INTO album_asset
            SELECT md5('album' || (1 + i % \(albums)))::uuid, md5('asset' || i)::uuid, timestamptz '\(epoch)'
            FROM generate_series(1, \(rows)) AS i WHERE i % 2 = 0;
            INSERT INTO smart_search
            SELECT md5('asset' || i)::uuid, ARRAY(SELECT sin(i * 0.001 + j) FROM generate_series(1, 16) AS j)
            FROM generate_series(1, \(rows)) AS i;
            CREATE MATERIALIZED VIEW asset_stats AS
                SELECT owner_id, type, count(*) AS assets, max(file_created_at) AS newest
                FROM asset GROUP BY owner_id, type;
            CREATE UNIQUE INDEX asset_stats_idx ON asset_stats (owner_id, type);
            ANALYZE;
            """)
    }

    /// A Directus backend: `directus_*` tables with serial keys, an enum, a
    /// table without any key, a partitioned table with two partitions, a large
    /// object, a sequence advanced past its rows, a view and a trigger.
    public static func createBackendLike(db: PGConnectionConfig, rows: Int) throws {
        let connection = try PGConnection.connect(db)
        // Spread over both years' partitions, at most one reading per sensor and day.
        let measurements = max(14, rows / 5)
        let dayStep = max(1, 730 * 7 / measurements)
        try connection.execute("""
            CREATE TYPE article_status AS ENUM ('draft', 'published', 'archived');
            CREATE TABLE directus_users (
                id serial PRIMARY KEY,
                email varchar(128) UNIQUE,
                first_name varchar(50), last_name varchar(50),
                status varchar(16) NOT NULL DEFAULT 'active',
                last_access timestamptz);
            CREATE TABLE directus_activity (
                id serial PRIMARY KEY,
                action varchar(45) NOT NULL,
                "user" integer REFERENCES directus_users (id) ON DELETE SET NULL,
                "timestamp" timestamptz NOT NULL,
                ip inet,
                collection varchar(64) NOT NULL,
                item varchar(255) NOT NULL,
                comment text);
            CREATE TABLE directus_revisions (
                id serial PRIMARY KEY,
                activity integer NOT NULL REFERENCES directus_activity (id) ON DELETE CASCADE,
                collection varchar(64) NOT NULL,
                item varchar(255) NOT NULL,
                data json, delta json);
            CREATE TABLE articles (
                id serial PRIMARY KEY,
                title text NOT NULL,
                status article_status NOT NULL DEFAULT 'draft',
                body text,
                price numeric(10, 2),
                updated_at timestamptz);
            CREATE TABLE import_log (line text, logged_at timestamptz);
            CREATE TABLE measurements (
                sensor integer NOT NULL,
                recorded_on date NOT NULL,
                value double precision,
                PRIMARY KEY (sensor, recorded_on)) PARTITION BY RANGE (recorded_on);
            CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
            CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            CREATE SEQUENCE invoice_number START 1000;
            CREATE VIEW published_articles AS SELECT id, title, updated_at FROM articles WHERE status = 'published';
            CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
            CREATE TRIGGER articles_touch BEFORE UPDATE ON articles FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

            INSERT INTO directus_users (email, first_name, last_name, last_access)
            SELECT 'editor' || i || '@example.org', 'First' || i, 'Last' || i, timestamptz '\(epoch)' + i * interval '1 day'
            FROM generate_series(1, 10) AS i;
            INSERT INTO articles (title, status, body, price, updated_at)
            SELECT 'Article ' || i, (ARRAY['draft','published','archived'])[1 + i % 3]::article_status,
                   repeat('Lorem ipsum dolor sit amet. ', 1 + i % 20), (i * 1.25)::numeric(10, 2),
                   timestamptz '\(epoch)' + i * interval '1 minute'
            FROM generate_series(1, \(max(1, rows / 10))) AS i;
            INSERT INTO directus_activity (action, "user", "timestamp", ip, collection, item, comment)
            SELECT (ARRAY['create','update','delete','login'])[1 + i % 4], 1 + i % 10,
                   timestamptz '\(epoch)' + i * interval '5 seconds', ('10.0.' || (i % 256) || '.' || (i % 251))::inet,
                   'articles', (1 + i % 100)::text, CASE WHEN i % 50 = 0 THEN E'a comment\\twith a tab' END
            FROM generate_series(1, \(rows)) AS i;
            INSERT INTO directus_revisions (activity, collection, item, data, delta)
            SELECT i, 'articles', (1 + i % 100)::text, json_build_object('id', 1 + i % 100, 'title', 'Article ' || i),
                   json_build_object('title', 'Article ' || i)
            FROM generate_series(1, \(rows)) AS i WHERE i % 2 = 0;
            INSERT INTO import_log SELECT 'imported line ' || i, timestamptz '\(epoch)' + i * interval '1 second'
            FROM generate_series(1, \(max(1, rows / 5))) AS i;
            INSERT INTO measurements
            SELECT 1 + i % 7, date '2023-01-01' + (i / 7) * \(dayStep), i * 0.5
            FROM generate_series(0, \(measurements - 1)) AS i;
            SELECT setval('invoice_number', 5000);
            SELECT lo_from_bytea(0, convert_to(repeat('large object payload ', 2000), 'UTF8'));
            ANALYZE;
            """)
    }

    /// authelia: a few tables with bytea secrets and serial keys.
    public static func createAutheliaLike(db: PGConnectionConfig, rows: Int) throws {
        let connection = try PGConnection.connect(db)
        try connection.execute("""
            CREATE TABLE totp_configurations (
                id serial PRIMARY KEY,
                created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
                last_used_at timestamp,
                username varchar(100) NOT NULL UNIQUE,
                issuer varchar(100),
                algorithm varchar(6) NOT NULL DEFAULT 'SHA1',
                digits integer NOT NULL DEFAULT 6,
                period integer NOT NULL DEFAULT 30,
                secret bytea NOT NULL);
            CREATE TABLE webauthn_devices (
                id serial PRIMARY KEY,
                username varchar(100) NOT NULL,
                description varchar(30) NOT NULL DEFAULT 'Primary',
                kid varchar(512) NOT NULL UNIQUE,
                public_key bytea NOT NULL,
                aaguid uuid,
                sign_count integer DEFAULT 0);
            CREATE TABLE authentication_logs (
                id serial PRIMARY KEY,
                "time" timestamp NOT NULL,
                successful boolean NOT NULL,
                banned boolean NOT NULL DEFAULT false,
                username varchar(100) NOT NULL,
                auth_type varchar(8) NOT NULL DEFAULT '1FA',
                remote_ip inet NOT NULL,
                request_uri text);
            CREATE INDEX authentication_logs_username_idx ON authentication_logs (username, "time");
            CREATE TABLE encryption (id serial PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, value bytea NOT NULL);

            INSERT INTO totp_configurations (created_at, username, issuer, secret)
            SELECT timestamp '2024-01-01' + i * interval '1 day', 'user' || i, 'auth.example.org', sha256(('totp' || i)::bytea)
            FROM generate_series(1, 20) AS i;
            INSERT INTO webauthn_devices (username, kid, public_key, aaguid)
            SELECT 'user' || i, encode(sha256(('kid' || i)::bytea), 'base64'), decode(repeat(md5('pk' || i), 4), 'hex'), md5('aa' || i)::uuid
            FROM generate_series(1, 10) AS i;
            INSERT INTO authentication_logs ("time", successful, username, remote_ip, request_uri)
            SELECT timestamp '2024-01-01' + i * interval '13 seconds', i % 9 <> 0, 'user' || (1 + i % 20),
                   ('192.168.' || (i % 256) || '.' || (1 + i % 250))::inet, 'https://app.example.org/?rd=' || i
            FROM generate_series(1, \(rows)) AS i;
            INSERT INTO encryption (name, value) VALUES ('check', '\\x00ff10'::bytea);
            ANALYZE;
            """)
    }
}
