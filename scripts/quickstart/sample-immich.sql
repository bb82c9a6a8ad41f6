-- A small Immich-shaped database for the quickstart.
CREATE TABLE users (id uuid PRIMARY KEY, email varchar NOT NULL UNIQUE, name varchar NOT NULL);
CREATE TABLE assets (id uuid PRIMARY KEY, "ownerId" uuid NOT NULL REFERENCES users, "originalPath" varchar NOT NULL, "fileCreatedAt" timestamptz NOT NULL, checksum bytea NOT NULL);
CREATE TABLE smart_search ("assetId" uuid PRIMARY KEY REFERENCES assets ON DELETE CASCADE, embedding real[] NOT NULL);
CREATE TABLE albums (id uuid PRIMARY KEY, "ownerId" uuid NOT NULL REFERENCES users, "albumName" varchar NOT NULL);
CREATE TABLE albums_assets_assets ("albumsId" uuid REFERENCES albums, "assetsId" uuid REFERENCES assets, PRIMARY KEY ("albumsId", "assetsId"));
INSERT INTO users VALUES ('00000000-0000-0000-0000-0000000000aa', 'admin@example.org', 'Admin');
INSERT INTO assets SELECT md5('a' || i)::uuid, '00000000-0000-0000-0000-0000000000aa', '/usr/src/app/upload/library/admin/2026/IMG_' || i || '.jpg', now() - i * interval '1 hour', decode(md5('c' || i), 'hex') FROM generate_series(1, 5000) i;
INSERT INTO smart_search SELECT md5('a' || i)::uuid, ARRAY(SELECT random()::real FROM generate_series(1, 16) WHERE i > 0) FROM generate_series(1, 5000) i;
INSERT INTO albums VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000aa', 'Holidays');
INSERT INTO albums_assets_assets SELECT '00000000-0000-0000-0000-0000000000b1', md5('a' || i)::uuid FROM generate_series(1, 500) i;
CREATE MATERIALIZED VIEW asset_count AS SELECT "ownerId", count(*) FROM assets GROUP BY 1;
