import Foundation
import StackBackupKit
import StackBackupTestSupport

/// A small database with the things a restore gets wrong most easily, owned
/// by its own role, with database-level properties to carry over.
struct RestoreFixture {
    let admin: PGConnectionConfig
    let database: String
    let owner: String
    let reader: String

    static func make(prefix: String, admin: PGConnectionConfig, ownerRole: String? = nil) throws -> RestoreFixture {
        let tag = "\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let owner = ownerRole ?? "sbr_owner_\(tag)"
        let reader = "sbr_reader_\(tag)"
        let name = try TestPostgres.createScratchDatabase(prefix: prefix)
        let adminConnection = try PGConnection.connect(admin.withDatabase("postgres"))
        try adminConnection.execute("CREATE ROLE \(owner) NOLOGIN; CREATE ROLE \(reader) NOLOGIN")
        try adminConnection.execute("""
            ALTER DATABASE \(name) OWNER TO \(owner);
            COMMENT ON DATABASE \(name) IS 'analytics, it''s important';
            ALTER DATABASE \(name) CONNECTION LIMIT 40;
            REVOKE ALL ON DATABASE \(name) FROM PUBLIC;
            GRANT CONNECT ON DATABASE \(name) TO \(reader);
            ALTER DATABASE \(name) SET work_mem = '12MB';
            ALTER DATABASE \(name) SET search_path = "$user", public, extra;
            ALTER ROLE \(reader) IN DATABASE \(name) SET statement_timeout = '5s';
            """)
        let connection = try PGConnection.connect(admin.withDatabase(name))
        try connection.execute("""
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            CREATE SCHEMA extra AUTHORIZATION \(owner);
            CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
            CREATE TABLE public.website (id uuid PRIMARY KEY, domain text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now());
            CREATE TABLE public.website_event (
                id bigserial PRIMARY KEY, website_id uuid NOT NULL REFERENCES public.website(id),
                url text, referrer text, mood public.mood, tags text[], props jsonb, raw json, data bytea,
                n numeric, f float8, at timestamptz, span tstzrange,
                total numeric GENERATED ALWAYS AS (n * 2) STORED);
            CREATE INDEX website_event_url_trgm ON public.website_event USING gin (url gin_trgm_ops);
            CREATE INDEX website_event_recent ON public.website_event (at) WHERE at > '2020-01-01';
            CREATE TABLE public.session (session_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, hostname text);
            CREATE TABLE extra."Mixed Case" ("Key" int PRIMARY KEY, "Value" text);
            CREATE TABLE public.measurement (city int NOT NULL, logdate date NOT NULL, peak int) PARTITION BY RANGE (logdate);
            CREATE TABLE public.measurement_2024 PARTITION OF public.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            CREATE TABLE public.measurement_2025 PARTITION OF public.measurement FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            CREATE INDEX measurement_city ON public.measurement (city);
            CREATE TABLE public.audit (id serial PRIMARY KEY, what text);
            CREATE FUNCTION public.audit_event() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN INSERT INTO public.audit (what) VALUES ('event ' || NEW.id); RETURN NEW; END $body$;
            CREATE TRIGGER website_event_audit AFTER INSERT ON public.website_event FOR EACH ROW EXECUTE FUNCTION public.audit_event();
            CREATE MATERIALIZED VIEW public.event_counts AS SELECT website_id, count(*) AS n FROM public.website_event GROUP BY 1;
            CREATE UNIQUE INDEX event_counts_site ON public.event_counts (website_id);
            """)
        try connection.execute("""
            INSERT INTO public.website VALUES ('11111111-1111-1111-1111-111111111111', 'a.example', '2024-01-01'),
                                              ('22222222-2222-2222-2222-222222222222', 'b.example', 'infinity');
            INSERT INTO public.website_event (website_id, url, referrer, mood, tags, props, raw, data, n, f, at, span)
            SELECT CASE WHEN g % 2 = 0 THEN '11111111-1111-1111-1111-111111111111'::uuid ELSE '22222222-2222-2222-2222-222222222222'::uuid END,
                   'https://a.example/p/' || g, CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE E'tab\\there\\nnew\\\\N\\\\ line ünï' END,
                   (ARRAY['sad','ok','happy'])[1 + g % 3]::public.mood, ARRAY['x', NULL, 'y,z'],
                   jsonb_build_object('g', g, 'k', 'v'), '{"b": 1,  "a": 2}', decode(lpad(to_hex(g), 8, '0'), 'hex'),
                   CASE WHEN g % 7 = 0 THEN 'NaN'::numeric ELSE g / 3.0 END,
                   CASE WHEN g % 11 = 0 THEN 'Infinity'::float8 WHEN g % 13 = 0 THEN '-Infinity' ELSE g * 1.5 END,
                   CASE WHEN g % 17 = 0 THEN '-infinity'::timestamptz ELSE '2024-01-01'::timestamptz + g * interval '1 minute' END,
                   tstzrange('2024-01-01', '2024-02-01')
            FROM generate_series(1, 3000) g;
            INSERT INTO public.website_event (website_id, data) SELECT '11111111-1111-1111-1111-111111111111', string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea) FROM generate_series(0, 255) b;
            INSERT INTO public.session (hostname) SELECT 'host' || g FROM generate_series(1, 50) g;
            INSERT INTO extra."Mixed Case" VALUES (1, 'one'), (2, NULL), (3, '');
            INSERT INTO public.measurement SELECT g % 10, '2024-06-01'::date + g, g FROM generate_series(1, 400) g;
            SELECT lo_from_bytea(0, '\\x00010203ff'::bytea);
            REFRESH MATERIALIZED VIEW public.event_counts;
            GRANT SELECT ON public.website TO \(reader);
            GRANT USAGE ON SCHEMA extra TO \(reader);
            """)
        // Hand everything in public (tables, sequences, types, functions, views) to the owner role.
        try connection.execute("""
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname IN ('public', 'extra') AND c.relkind IN ('r', 'p', 'm') LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO \(owner)', r.name);
              END LOOP;
            END $$;
            ALTER TYPE public.mood OWNER TO \(owner);
            ALTER FUNCTION public.audit_event() OWNER TO \(owner);
            """)
        try connection.execute("SELECT lo_from_bytea(0, '\\x0a0b'::bytea)")
        try connection.execute("DO $$ DECLARE o oid; BEGIN FOR o IN SELECT oid FROM pg_largeobject_metadata LOOP EXECUTE format('ALTER LARGE OBJECT %s OWNER TO \(owner)', o); END LOOP; END $$")
        return RestoreFixture(admin: admin, database: name, owner: owner, reader: reader)
    }

    /// Drops the fixture's database, any database whose name starts with it, and its roles.
    func drop(extra: [String] = []) {
        guard let connection = try? PGConnection.connect(admin.withDatabase("postgres")) else { return }
        var names = extra + [database]
        if let r = try? connection.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [database]) {
            for row in 0..<r.rowCount { if let name = r.string(row, 0) { names.append(name) } }
        }
        for name in Set(names) { _ = try? connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(name)) WITH (FORCE)") }
        _ = try? connection.execute("DROP ROLE IF EXISTS \(reader)")
        _ = try? connection.execute("DROP ROLE IF EXISTS \(owner)")
    }
}
