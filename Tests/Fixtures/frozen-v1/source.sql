-- frozen-v1 fixture database (see README.md). Run inside an empty UTF8
-- database made from template0, e.g.
--   createdb -T template0 -E UTF8 frozen_app
--   psql -X -v ON_ERROR_STOP=1 -d frozen_app -f source.sql
-- Pure SQL (no psql meta-commands), deterministic: no random(), no now().
-- FROZEN: never edit this file; the repository in repo/ was made from it.

-- Roles are global: create the reader role only when it is missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'frozen_reader') THEN
        CREATE ROLE frozen_reader NOLOGIN;
    END IF;
END
$$;

CREATE TABLE authors (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    bio text,
    joined timestamptz NOT NULL,
    CONSTRAINT authors_name_not_blank CHECK (length(btrim(name)) > 0)
);

CREATE TABLE posts (
    id serial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title text NOT NULL,
    slug text,
    body text,
    meta jsonb,
    attachment bytea,
    score numeric(12, 4) NOT NULL DEFAULT 0,
    tags text[],
    ratings smallint[],
    published_at timestamptz,
    CONSTRAINT posts_score_positive CHECK (score >= 0)
);

CREATE TABLE post_ratings (
    post_id integer NOT NULL REFERENCES posts (id),
    rater text NOT NULL,
    stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    note text,
    PRIMARY KEY (post_id, rater)
);

COMMENT ON TABLE posts IS 'Blog posts of the frozen-v1 fixture: ünïcödé, ''quotes'' and a \ backslash';
COMMENT ON COLUMN posts.slug IS 'Set by the posts_slug trigger';

CREATE FUNCTION posts_set_slug() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.slug := lower(regexp_replace(NEW.title, '[^A-Za-z0-9]+', '-', 'g'));
    RETURN NEW;
END
$$;

CREATE TRIGGER posts_slug BEFORE INSERT OR UPDATE OF title ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_set_slug();

INSERT INTO authors (name, bio, joined)
SELECT 'author ' || lpad(g::text, 2, '0'),
       CASE g % 5
           WHEN 0 THEN NULL
           WHEN 1 THEN E'tab\there, newline\nthere'
           WHEN 2 THEN E'back\\slash \\N and \\. and a trailing backslash \\'
           WHEN 3 THEN 'Grüße aus Köln – 日本語 – emoji 🧊'
           ELSE ''
       END,
       timestamptz '2026-01-02 03:04:05.123456+00' + g * interval '1 day 1 hour 1 minute'
FROM generate_series(1, 20) g;

-- Explicit rows with the most awkward values.
INSERT INTO authors (name, bio, joined) VALUES
    (E'quote'' "double" \\ tab\tend', E'carriage\r\nreturn', timestamptz 'infinity'),
    ('ünïcödé ✓', E'\\x00 is not a NUL', timestamptz '1999-12-31 23:59:59.999999+00');

INSERT INTO posts (author_id, title, body, meta, attachment, score, tags, ratings, published_at)
SELECT 1 + (g % 22),
       'Post #' || g || CASE WHEN g % 7 = 0 THEN ': Ärger & Ölförderung' ELSE '' END,
       CASE WHEN g % 11 = 0 THEN NULL
            ELSE repeat('Lorem ipsum ' || g || E'.\t', 1 + g % 9) || E'\nline two \\ with backslash' END,
       CASE WHEN g % 13 = 0 THEN NULL
            ELSE jsonb_build_object('n', g, 'even', g % 2 = 0, 'name', 'post ' || g,
                                    'nested', jsonb_build_object('list', jsonb_build_array(g, g * 2, 'ß'), 'null', NULL)) END,
       CASE WHEN g % 17 = 0 THEN NULL
            WHEN g % 17 = 1 THEN ''::bytea
            ELSE decode(md5('post-' || g), 'hex') || '\x00ff5c0a09'::bytea END,
       round((g * 12.3457)::numeric, 4),
       CASE WHEN g % 10 = 0 THEN NULL
            WHEN g % 10 = 1 THEN ARRAY[]::text[]
            ELSE ARRAY['tag' || (g % 4), E'with "quote"', NULL, 'a,b', E'x\\y'] END,
       CASE WHEN g % 9 = 0 THEN NULL ELSE ARRAY[(g % 5 + 1)::smallint, NULL, 3::smallint] END,
       CASE WHEN g % 6 = 0 THEN NULL
            ELSE timestamptz '2026-03-04 05:06:07.654321+00' + g * interval '7 hours 13 minutes' END
FROM generate_series(1, 300) g;

INSERT INTO post_ratings (post_id, rater, stars, note)
SELECT p, 'rater-' || r, 1 + ((p * 7 + r * 3) % 5),
       CASE WHEN (p + r) % 4 = 0 THEN NULL ELSE E'note\t' || p || '/' || r END
FROM generate_series(1, 300) p, generate_series(1, 3) r
WHERE (p + r) % 2 = 0;

-- Sequences moved past their rows: the serial with is_called true,
-- the identity's with is_called false.
SELECT setval(pg_get_serial_sequence('posts', 'id'), 1000);
SELECT setval(pg_get_serial_sequence('authors', 'id'), 500, false);

CREATE VIEW published_posts AS
    SELECT p.id, p.title, p.slug, a.name AS author, p.published_at
    FROM posts p JOIN authors a ON a.id = p.author_id
    WHERE p.published_at IS NOT NULL;

CREATE MATERIALIZED VIEW author_stats AS
    SELECT a.id AS author_id, a.name, count(p.id) AS posts, coalesce(sum(p.score), 0) AS total_score
    FROM authors a LEFT JOIN posts p ON p.author_id = a.id
    GROUP BY a.id, a.name
WITH DATA;

CREATE UNIQUE INDEX author_stats_author_id ON author_stats (author_id);
CREATE INDEX posts_published_at ON posts (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX posts_author_id ON posts (author_id);
CREATE INDEX posts_meta ON posts USING gin (meta);

GRANT SELECT ON posts, published_posts, author_stats TO frozen_reader;

-- One large object with a fixed oid.
SELECT lo_from_bytea(424242, '\x000102fffe5c0a'::bytea || convert_to(repeat('frozen-v1 large object ✓ ', 200), 'UTF8'));
