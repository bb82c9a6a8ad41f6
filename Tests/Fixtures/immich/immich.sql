-- An Immich-shaped database: the extensions, types, functions, tables, indexes, triggers and
-- database setting of Immich's schema (server/src/schema, 1.13x), filled with deterministic
-- generated rows. Load with psql into an empty database:
--
--   psql -X -q -v ON_ERROR_STOP=1 -d DB -f Tests/Fixtures/immich/immich.sql
--        [-v assets=3000] [-v faces=N] [-v places=30000] [-v embedding_type='vector(512)']
--        [-v vector_indexes=true]
--
-- assets          rows of assets, asset_exif and smart_search (default 3000)
-- faces           rows of asset_faces and face_search (default: as many as assets)
-- places          rows of geodata_places (default 30000; Immich's cities500 has ~200,000)
-- embedding_type  the type of both embedding columns: 'vector(512)' (pgvector, as Immich) or
--                 'real[]' (the same values as float4 arrays, for the benchmark's comparison)
-- vector_indexes  the HNSW indexes on the embeddings (default true; ignored for real[])
--
-- Needs pgvector, cube, earthdistance, pg_trgm and unaccent; no uuid-ossp or pgcrypto
-- (gen_random_uuid() is built in since PostgreSQL 13). Every generated value comes from
-- generate_series, md5 and random() after setseed(), so two loads give the same rows.
\set ON_ERROR_STOP on
\if :{?assets}
\else
\set assets 3000
\endif
\if :{?faces}
\else
\set faces :assets
\endif
\if :{?places}
\else
\set places 30000
\endif
\if :{?embedding_type}
\else
\set embedding_type 'vector(512)'
\endif
\if :{?vector_indexes}
\else
\set vector_indexes true
\endif
SELECT :'embedding_type' LIKE 'vector%' AND :'vector_indexes'::boolean AS hnsw \gset

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
-- Immich sets this for pgvecto.rs' schema `vectors`, which pgvector installs do not have.
ALTER DATABASE :"DBNAME" SET search_path TO "$user", public, vectors;

-- Functions, as Immich defines them. ll_to_earth_public qualifies everything with public so it
-- works under pg_restore's empty search_path (earthdistance's own ll_to_earth does not).
CREATE FUNCTION immich_uuid_v7(p_timestamp timestamp with time zone DEFAULT clock_timestamp())
RETURNS uuid VOLATILE LANGUAGE sql AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM p_timestamp) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid;
$$;
CREATE FUNCTION updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE clock_timestamp TIMESTAMP := clock_timestamp();
    BEGIN
        new."updatedAt" = clock_timestamp;
        new."updateId" = immich_uuid_v7(clock_timestamp);
        RETURN new;
    END;
$$;
CREATE FUNCTION f_concat_ws(text, text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT array_to_string($2, $1)';
CREATE FUNCTION f_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN unaccent('unaccent', $1);
CREATE FUNCTION ll_to_earth_public(latitude double precision, longitude double precision)
RETURNS public.earth PARALLEL SAFE IMMUTABLE STRICT LANGUAGE sql AS $$
    SELECT public.cube(public.cube(public.cube(public.earth()*cos(radians(latitude))*cos(radians(longitude))),
           public.earth()*cos(radians(latitude))*sin(radians(longitude))),public.earth()*sin(radians(latitude)))::public.earth
$$;

CREATE TYPE assets_status_enum AS ENUM ('active', 'trashed', 'deleted');
CREATE TYPE sourcetype AS ENUM ('machine-learning', 'exif', 'manual');

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email character varying NOT NULL UNIQUE,
    password character varying NOT NULL DEFAULT '',
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    "profileImagePath" character varying NOT NULL DEFAULT '',
    "isAdmin" boolean NOT NULL DEFAULT false,
    "shouldChangePassword" boolean NOT NULL DEFAULT true,
    "deletedAt" timestamp with time zone,
    "oauthId" character varying NOT NULL DEFAULT '',
    "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
    "storageLabel" character varying UNIQUE,
    name character varying NOT NULL DEFAULT '',
    "quotaSizeInBytes" bigint,
    "quotaUsageInBytes" bigint NOT NULL DEFAULT 0,
    status character varying NOT NULL DEFAULT 'active',
    "profileChangedAt" timestamp with time zone NOT NULL DEFAULT now(),
    "updateId" uuid NOT NULL DEFAULT immich_uuid_v7());

CREATE TABLE assets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "deviceAssetId" character varying NOT NULL,
    "ownerId" uuid NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "deviceId" character varying NOT NULL,
    type character varying NOT NULL,
    "originalPath" character varying NOT NULL,
    "fileCreatedAt" timestamp with time zone NOT NULL,
    "fileModifiedAt" timestamp with time zone NOT NULL,
    "isFavorite" boolean NOT NULL DEFAULT false,
    duration character varying,
    "encodedVideoPath" character varying DEFAULT '',
    checksum bytea NOT NULL,
    "livePhotoVideoId" uuid REFERENCES assets (id) ON UPDATE CASCADE ON DELETE SET NULL,
    "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    "originalFileName" character varying NOT NULL,
    thumbhash bytea,
    "isOffline" boolean NOT NULL DEFAULT false,
    "libraryId" uuid,
    "isExternal" boolean NOT NULL DEFAULT false,
    "deletedAt" timestamp with time zone,
    "localDateTime" timestamp with time zone NOT NULL,
    "stackId" uuid,
    "duplicateId" uuid,
    status assets_status_enum NOT NULL DEFAULT 'active',
    "updateId" uuid NOT NULL DEFAULT immich_uuid_v7(),
    visibility character varying NOT NULL DEFAULT 'timeline');
CREATE UNIQUE INDEX "UQ_assets_owner_checksum" ON assets ("ownerId", checksum) WHERE "libraryId" IS NULL;
CREATE INDEX idx_asset_file_created_at ON assets ("fileCreatedAt");
CREATE INDEX "IDX_assets_duplicateId" ON assets ("duplicateId");
CREATE INDEX idx_originalfilename_trigram ON assets USING gin (f_unaccent("originalFileName") gin_trgm_ops);
CREATE INDEX idx_local_date_time ON assets (((("localDateTime" AT TIME ZONE 'UTC'))::date));
CREATE INDEX idx_local_date_time_month ON assets ((date_trunc('MONTH', "localDateTime" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'));
CREATE TRIGGER assets_updated_at BEFORE UPDATE ON assets FOR EACH ROW EXECUTE FUNCTION updated_at();

CREATE TABLE assets_audit (
    id uuid PRIMARY KEY DEFAULT immich_uuid_v7(),
    "assetId" uuid NOT NULL,
    "ownerId" uuid NOT NULL,
    "deletedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp());
CREATE INDEX "IDX_assets_audit_deleted_at" ON assets_audit ("deletedAt");
CREATE FUNCTION assets_delete_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO assets_audit ("assetId", "ownerId") SELECT "id", "ownerId" FROM OLD;
        RETURN NULL;
    END
$$;
CREATE TRIGGER assets_delete_audit AFTER DELETE ON assets REFERENCING OLD TABLE AS "old"
    FOR EACH STATEMENT WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION assets_delete_audit();

CREATE TABLE asset_exif (
    "assetId" uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    make character varying,
    model character varying,
    "exifImageWidth" integer,
    "exifImageHeight" integer,
    "fileSizeInByte" bigint,
    orientation character varying,
    "dateTimeOriginal" timestamp with time zone,
    "modifyDate" timestamp with time zone,
    "lensModel" character varying,
    "fNumber" double precision,
    "focalLength" double precision,
    iso integer,
    "exposureTime" character varying,
    latitude double precision,
    longitude double precision,
    city character varying,
    state character varying,
    country character varying,
    description text NOT NULL DEFAULT '',
    fps double precision,
    "timeZone" character varying,
    "projectionType" character varying,
    "profileDescription" character varying,
    colorspace character varying,
    "bitsPerSample" integer,
    "autoStackId" character varying,
    rating integer,
    "livePhotoCID" character varying,
    "updatedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp(),
    "updateId" uuid NOT NULL DEFAULT immich_uuid_v7());
CREATE INDEX exif_city ON asset_exif (city);
CREATE INDEX "IDX_live_photo_cid" ON asset_exif ("livePhotoCID");
CREATE INDEX "IDX_asset_exif_update_id" ON asset_exif ("updateId");

CREATE TABLE person (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
    "ownerId" uuid NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
    name character varying NOT NULL DEFAULT '',
    "thumbnailPath" character varying NOT NULL DEFAULT '',
    "isHidden" boolean NOT NULL DEFAULT false,
    "birthDate" date CONSTRAINT "CHK_b0f82b0ed662bfc24fbb58bb45" CHECK ("birthDate" <= CURRENT_DATE),
    "faceAssetId" uuid,
    "isFavorite" boolean NOT NULL DEFAULT false,
    color character varying);

-- asset_faces and person reference each other (a face's person, a person's cover face).
CREATE TABLE asset_faces (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "assetId" uuid NOT NULL REFERENCES assets (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "personId" uuid REFERENCES person (id) ON UPDATE CASCADE ON DELETE SET NULL,
    "imageWidth" integer NOT NULL DEFAULT 0,
    "imageHeight" integer NOT NULL DEFAULT 0,
    "boundingBoxX1" integer NOT NULL DEFAULT 0,
    "boundingBoxY1" integer NOT NULL DEFAULT 0,
    "boundingBoxX2" integer NOT NULL DEFAULT 0,
    "boundingBoxY2" integer NOT NULL DEFAULT 0,
    "sourceType" sourcetype NOT NULL DEFAULT 'machine-learning',
    "deletedAt" timestamp with time zone);
ALTER TABLE person ADD CONSTRAINT "FK_2bbabe31656b6778c6b87b61023"
    FOREIGN KEY ("faceAssetId") REFERENCES asset_faces (id) ON DELETE SET NULL;
CREATE INDEX "IDX_asset_faces_assetId_personId" ON asset_faces ("assetId", "personId");
CREATE INDEX "IDX_asset_faces_personId" ON asset_faces ("personId");

CREATE TABLE smart_search (
    "assetId" uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    embedding :embedding_type NOT NULL);
CREATE TABLE face_search (
    "faceId" uuid PRIMARY KEY REFERENCES asset_faces (id) ON DELETE CASCADE,
    embedding :embedding_type NOT NULL);

CREATE TABLE geodata_places (
    id integer PRIMARY KEY,
    name character varying(200) NOT NULL,
    longitude double precision NOT NULL,
    latitude double precision NOT NULL,
    "countryCode" character(2) NOT NULL,
    "admin1Code" character varying(20),
    "admin2Code" character varying(80),
    "modificationDate" date NOT NULL,
    "admin1Name" character varying,
    "admin2Name" character varying,
    "alternateNames" character varying);
CREATE INDEX "IDX_geodata_gist_earthcoord" ON geodata_places USING gist (ll_to_earth_public(latitude, longitude));
CREATE INDEX idx_geodata_places_name ON geodata_places USING gin (f_unaccent(name) gin_trgm_ops);
CREATE INDEX idx_geodata_places_admin1_name ON geodata_places USING gin (f_unaccent("admin1Name") gin_trgm_ops);

CREATE TABLE naturalearth_countries (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin character varying(50) NOT NULL,
    admin_a3 character varying(3) NOT NULL,
    type character varying(50) NOT NULL,
    coordinates polygon NOT NULL);

CREATE TABLE albums (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "ownerId" uuid NOT NULL REFERENCES users (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "albumName" character varying NOT NULL DEFAULT 'Untitled Album',
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    "albumThumbnailAssetId" uuid REFERENCES assets (id) ON UPDATE CASCADE ON DELETE SET NULL,
    "updatedAt" timestamp with time zone NOT NULL DEFAULT now(),
    description text NOT NULL DEFAULT '',
    "isActivityEnabled" boolean NOT NULL DEFAULT true,
    "order" character varying NOT NULL DEFAULT 'desc');
CREATE TABLE albums_assets_assets (
    "albumsId" uuid NOT NULL REFERENCES albums (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "assetsId" uuid NOT NULL REFERENCES assets (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY ("albumsId", "assetsId"));

CREATE TABLE system_metadata (key character varying PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE version_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "createdAt" timestamp with time zone NOT NULL DEFAULT now(),
    version character varying NOT NULL);

-- Rows. Timestamps count from a fixed epoch; ids are md5 uuids; random() runs after setseed().
SELECT setseed(0.19) AS seeded \gset
INSERT INTO users (id, email, password, "createdAt", "isAdmin", "shouldChangePassword", "updatedAt",
                   "storageLabel", name, "quotaSizeInBytes", "profileChangedAt", "updateId")
SELECT md5('user' || u)::uuid, 'user' || u || '@example.org', '$2b$10$' || md5('pw' || u),
       timestamptz '2023-01-01 00:00:00+00' + u * interval '1 day', u = 1, false,
       timestamptz '2024-06-01 00:00:00+00', CASE WHEN u = 1 THEN 'admin' END, 'User ' || u,
       CASE WHEN u > 1 THEN 500::bigint * 1024 * 1024 * 1024 END, timestamptz '2024-06-01 00:00:00+00',
       md5('user-update' || u)::uuid
FROM generate_series(1, 4) AS u;

INSERT INTO assets (id, "deviceAssetId", "ownerId", "deviceId", type, "originalPath", "fileCreatedAt",
                    "fileModifiedAt", "isFavorite", duration, "encodedVideoPath", checksum, "updatedAt",
                    "createdAt", "originalFileName", thumbhash, "localDateTime", "duplicateId", status,
                    "updateId", "deletedAt", "livePhotoVideoId")
SELECT md5('asset' || i)::uuid, 'IMG_' || i || '-' || (4000 + i % 977), md5('user' || (1 + i % 4))::uuid,
       'device-' || (i % 4), CASE WHEN i % 12 = 0 THEN 'VIDEO' ELSE 'IMAGE' END,
       '/usr/src/app/upload/library/' || md5('user' || (1 + i % 4)) || '/' || (2015 + i % 10) || '/'
           || lpad((1 + i % 12)::text, 2, '0') || '/IMG_' || lpad(i::text, 6, '0')
           || CASE WHEN i % 12 = 0 THEN '.MOV' ELSE '.HEIC' END,
       t, t + interval '3 seconds', i % 17 = 0,
       CASE WHEN i % 12 = 0 THEN '00:00:' || lpad((i % 60)::text, 2, '0') || '.000000' ELSE '0:00:00.00000' END,
       CASE WHEN i % 12 = 0 THEN '/usr/src/app/upload/encoded-video/' || md5('asset' || i) || '.mp4' ELSE '' END,
       sha256(('asset' || i)::bytea), t + interval '1 day', t + interval '1 day',
       'IMG_' || lpad(i::text, 6, '0') || CASE WHEN i % 12 = 0 THEN '.MOV' ELSE '.HEIC' END,
       substring(sha256(('thumb' || i)::bytea) FROM 1 FOR 25), t + interval '2 hours',
       CASE WHEN i % 101 = 0 THEN md5('duplicate' || (i / 202))::uuid END,
       (CASE WHEN i % 211 = 0 THEN 'trashed' ELSE 'active' END)::assets_status_enum,
       md5('asset-update' || i)::uuid, CASE WHEN i % 211 = 0 THEN t + interval '30 days' END,
       -- live photos: every 50th image names the next asset as its video part
       CASE WHEN i % 50 = 1 AND i < :assets THEN md5('asset' || (i + 1))::uuid END
FROM generate_series(1, :assets) AS i,
     LATERAL (SELECT timestamptz '2015-01-01 00:00:00+00' + i * interval '17 minutes' AS t) AS at;
INSERT INTO assets_audit (id, "assetId", "ownerId", "deletedAt")
SELECT md5('audit' || i)::uuid, md5('gone' || i)::uuid, md5('user' || (1 + i % 4))::uuid,
       timestamptz '2024-03-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, greatest(1, :assets / 100)) AS i;

INSERT INTO geodata_places
SELECT p, 'Place ' || p || CASE WHEN p % 7 = 0 THEN ' Saint-Étienne-de-Tinée' WHEN p % 11 = 0 THEN ' São José' ELSE '' END,
       round((random() * 360 - 180)::numeric, 5)::float8, round((random() * 160 - 80)::numeric, 5)::float8,
       (ARRAY['DE', 'FR', 'US', 'BR', 'JP', 'NO', 'ZA', 'AU'])[1 + p % 8], (p % 40)::text,
       CASE WHEN p % 3 <> 0 THEN (p % 400)::text END, date '2024-01-01' + p % 365,
       'Region ' || (p % 40), CASE WHEN p % 3 <> 0 THEN 'District ' || (p % 400) END,
       CASE WHEN p % 5 = 0 THEN 'Alt ' || p || ',Ville ' || p END
FROM generate_series(1, :places) AS p;

INSERT INTO naturalearth_countries (admin, admin_a3, type, coordinates)
SELECT 'Country ' || c, upper(substring(md5('c' || c) FROM 1 FOR 3)), 'Sovereign country',
       ('(' || string_agg(format('(%s,%s)', cx + r * cos(k * pi() / 6), cy + r * sin(k * pi() / 6)), ',' ORDER BY k) || ')')::polygon
FROM generate_series(1, 250) AS c,
     LATERAL (SELECT random() * 340 - 170 AS cx, random() * 140 - 70 AS cy, 1 + random() * 8 AS r) AS centre,
     generate_series(0, 11) AS k
GROUP BY c, cx, cy, r;

-- Exif: every asset, placed near one of the places; three quarters have coordinates.
INSERT INTO asset_exif ("assetId", make, model, "exifImageWidth", "exifImageHeight", "fileSizeInByte",
                        orientation, "dateTimeOriginal", "modifyDate", "lensModel", "fNumber", "focalLength",
                        iso, "exposureTime", latitude, longitude, city, state, country, description, fps,
                        "timeZone", "projectionType", "profileDescription", colorspace, "bitsPerSample",
                        rating, "livePhotoCID", "updatedAt", "updateId")
SELECT a.id, (ARRAY['Apple', 'Google', 'SONY', 'FUJIFILM'])[1 + i % 4],
       (ARRAY['iPhone 15 Pro', 'Pixel 8', 'ILCE-7M4', 'X-T5'])[1 + i % 4],
       4032 - (i % 2) * 1008, 3024, 1500000 + (i * 7919) % 4000000, (1 + i % 8)::text,
       a."fileCreatedAt", a."fileModifiedAt", CASE WHEN i % 4 > 1 THEN 'FE 24-70mm F2.8 GM II' END,
       1.8 + (i % 5) * 0.4, 6.86 + (i % 3) * 10, 50 * (1 + i % 16), '1/' || (60 * (1 + i % 8)),
       CASE WHEN i % 4 <> 0 THEN g.latitude + (random() - 0.5) * 0.01 END,
       CASE WHEN i % 4 <> 0 THEN g.longitude + (random() - 0.5) * 0.01 END,
       CASE WHEN i % 4 <> 0 THEN g.name END, CASE WHEN i % 4 <> 0 THEN g."admin1Name" END,
       CASE WHEN i % 4 <> 0 THEN g."countryCode" END,
       CASE WHEN i % 9 = 0 THEN E'Holiday\twith "friends"\nsecond line \\ ' || i ELSE '' END,
       CASE WHEN a.type = 'VIDEO' THEN 29.97 END, 'Europe/Berlin', NULL, 'Display P3', '3', 8,
       CASE WHEN i % 23 = 0 THEN 1 + i % 5 END,
       CASE WHEN i % 50 IN (1, 2) THEN md5('live' || (i - (i % 50) + 1)) END,
       a."updatedAt", md5('exif-update' || i)::uuid
FROM generate_series(1, :assets) AS i
JOIN assets a ON a.id = md5('asset' || i)::uuid
JOIN geodata_places g ON g.id = 1 + (i * 7) % :places;

INSERT INTO person (id, "createdAt", "updatedAt", "ownerId", name, "thumbnailPath", "isHidden", "birthDate", "isFavorite", color)
SELECT md5('person' || p)::uuid, timestamptz '2024-01-01 00:00:00+00' + p * interval '1 hour',
       timestamptz '2024-02-01 00:00:00+00', md5('user' || (1 + p % 4))::uuid,
       CASE WHEN p % 3 <> 0 THEN 'Person ' || p ELSE '' END,
       '/usr/src/app/upload/thumbs/' || md5('person' || p) || '.jpeg', p % 19 = 0,
       CASE WHEN p % 4 = 0 THEN date '1950-01-01' + p * 97 % 25000 END, p % 13 = 0,
       (ARRAY['#e91e63', '#3f51b5', NULL])[1 + p % 3]
FROM generate_series(1, greatest(10, :faces / 40)) AS p;

-- Faces: two per asset on every other asset, a bounding box inside the image.
INSERT INTO asset_faces (id, "assetId", "personId", "imageWidth", "imageHeight", "boundingBoxX1",
                         "boundingBoxY1", "boundingBoxX2", "boundingBoxY2", "sourceType")
SELECT md5('face' || f)::uuid, md5('asset' || (1 + (f / 2 * 2) % :assets))::uuid,
       CASE WHEN f % 10 <> 0 THEN md5('person' || (1 + f % greatest(10, :faces / 40)))::uuid END,
       1440, 1080, x, y, x + w, y + w,
       (CASE WHEN f % 97 = 0 THEN 'manual' ELSE 'machine-learning' END)::sourcetype
FROM generate_series(1, :faces) AS f,
     LATERAL (SELECT (random() * 1200)::int AS x, (random() * 840)::int AS y, 40 + (random() * 200)::int AS w) AS box;
UPDATE person p SET "faceAssetId" = md5('face' || (1 + (n - 1) % :faces))::uuid
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM person) AS numbered
WHERE numbered.id = p.id AND numbered.n % 5 <> 0;

-- CLIP-like embeddings: 512 float4 components around zero. The subquery names the outer row
-- (0 * i) so it runs once per row, not once for the whole insert.
INSERT INTO smart_search
SELECT md5('asset' || i)::uuid,
       CAST(ARRAY(SELECT ((random() - 0.5) * 0.09)::real FROM generate_series(1, 512 + 0 * i)) AS :embedding_type)
FROM generate_series(1, :assets) AS i;
INSERT INTO face_search
SELECT md5('face' || f)::uuid,
       CAST(ARRAY(SELECT ((random() - 0.5) * 0.09)::real FROM generate_series(1, 512 + 0 * f)) AS :embedding_type)
FROM generate_series(1, :faces) AS f;
\if :hnsw
CREATE INDEX clip_index ON smart_search USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 300, m = 16);
CREATE INDEX face_index ON face_search USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 300, m = 16);
\endif

INSERT INTO albums (id, "ownerId", "albumName", "createdAt", "albumThumbnailAssetId", "updatedAt", description)
SELECT md5('album' || b)::uuid, md5('user' || (1 + b % 4))::uuid, 'Album ' || b,
       timestamptz '2024-01-01 00:00:00+00' + b * interval '1 day', md5('asset' || (1 + b * 37 % :assets))::uuid,
       timestamptz '2024-06-01 00:00:00+00', CASE WHEN b % 2 = 0 THEN 'Trip number ' || b ELSE '' END
FROM generate_series(1, greatest(1, :assets / 60)) AS b;
INSERT INTO albums_assets_assets
SELECT md5('album' || (1 + i % greatest(1, :assets / 60)))::uuid, md5('asset' || i)::uuid,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, :assets) AS i WHERE i % 3 = 0;

INSERT INTO system_metadata VALUES
    ('reverse-geocoding-state', '{"lastUpdate": "2024-09-01T00:00:00.000Z", "lastImportFileName": "cities500.txt"}'),
    ('system-config', '{"ffmpeg": {"crf": 23, "preset": "ultrafast"}, "machineLearning": {"clip": {"modelName": "ViT-B-32__openai"}}}'),
    ('version-check-state', '{"checkedAt": "2024-09-02T00:00:00.000Z", "releaseVersion": "v1.132.3"}');
INSERT INTO version_history VALUES
    (md5('v1')::uuid, '2024-05-01 10:00:00+00', '1.105.1'),
    (md5('v2')::uuid, '2024-09-02 10:00:00+00', '1.132.3');

ANALYZE;
