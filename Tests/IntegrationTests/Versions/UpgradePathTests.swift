import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The upgrade path: a snapshot taken from the 15 test cluster restored into
/// PostgreSQL 18 with 18's pg_restore (moving a database to a newer server),
/// compared across the two servers by `DatabaseComparator` (both read by 18's
/// pg_dump), allowing only what 18 changes by itself (`UpgradeChanges`).
@Suite(.enabled(if: OtherServer.configured(18) != nil || TestPostgres.isCI, "needs PostgreSQL 18: run bash scripts/test.sh"))
struct UpgradePathTests {
    @Test func aSnapshotFrom15RestoresInto18WithOnlyWhat18ChangesByItself() throws {
        let old = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        guard let new = OtherServer.require(18) else { return }
        let role = "sbt_upgrade_app_\(getpid())"
        let oldAdmin = try PGConnection.connect(old)
        try oldAdmin.execute("DROP ROLE IF EXISTS \(role); CREATE ROLE \(role) LOGIN")
        let source = try TestPostgres.createScratchDatabase(prefix: "upgrade")
        defer {
            try? TestPostgres.dropDatabase(source)
            _ = try? oldAdmin.execute("DROP ROLE IF EXISTS \(role)")
            new.dropDatabases(startingWith: source)
            _ = try? PGConnection.connect(new.config).execute("DROP ROLE IF EXISTS \(role)")
        }
        try StackFixtures.createBackendLike(db: old.withDatabase(source), rows: 2000)
        try StackFixtures.createAutheliaLike(db: old.withDatabase(source), rows: 500)
        // Grants of each kind (ALL with and without grant option, some privileges, a column grant, default
        // privileges) and a table owned by the app's role: the ACLs 17's MAINTAIN privilege touches.
        try PGConnection.connect(old.withDatabase(source)).execute("""
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT ALL ON TABLE articles TO \(role);
            GRANT ALL ON TABLE directus_users TO \(role) WITH GRANT OPTION;
            GRANT SELECT, INSERT ON directus_revisions TO \(role);
            GRANT SELECT (id, title) ON published_articles TO \(role);
            GRANT ALL ON SEQUENCE invoice_number TO \(role);
            ALTER TABLE authentication_logs OWNER TO \(role);
            ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO \(role);
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, UPDATE ON TABLES TO \(role);
            ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO \(role);
            CREATE TABLE settings (key text PRIMARY KEY, value jsonb NOT NULL);
            INSERT INTO settings VALUES ('theme', '"dark"'), ('locale', '"de-DE"');
            """)
        try oldAdmin.execute("ALTER DATABASE \(source) OWNER TO \(role); ALTER DATABASE \(source) SET work_mem = '8MB'")

        let cli = try CLIRepository("stackbackup-upgrade")
        try cli.succeed(["backup", "globals"])
        let backup = try cli.run(["backup", "db", source])
        try #require(backup.status == 0, "\(backup)")
        #expect(try VersionSnapshots.serverMajors(cli, source: source) == [15])

        // Onto 18, as a user moving the database would: 18's pg_restore, the roles from globals.
        let onNew = CLIRunner(environment: new.environment)
        let config = try cli.directory.write("config-18.yml", new.configSection)
        let restore = try onNew.run(["restore", source, "--with-roles", "--config", config,
                                     "--repo", cli.repo, "--password-file", cli.passwordFile])
        try #require(restore.status == 0, "\(restore)")

        let before = try DatabaseComparator.snapshot(database: source, connection: old, pgDump: new.program("pg_dump"))
        let after = try new.state(source)
        let differences = DatabaseComparator.differences(UpgradeChanges.from15To18(before), after, options: .exact)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        // The allowance is needed: MAINTAIN did appear, in the catalog and in the grants pg_dump writes.
        let raw = DatabaseComparator.differences(before, after, options: .exact)
        #expect(raw.contains { $0.hasPrefix("acl of relation public.articles: ") } && raw.contains { $0.hasPrefix("schema: DEFAULT ACL ") },
                "\(raw.joined(separator: "\n"))")
        // The column stamps of the 15 server are not in what its own pg_dump writes, so no snapshot can hold them.
        let ownReading = String(decoding: try PGClient.run([TestCluster.program("pg_dump"), "--schema-only", "--dbname=\(source)"], server: old),
                                as: UTF8.self)
        #expect(!ownReading.contains("pg_attver"))
        #expect(!after.tables.isEmpty && after.largeObjects.count == 1, "tables \(after.tables.count), large objects \(after.largeObjects.count)")
    }
}

/// What differs between a database on the 15 test cluster and its restore into
/// 18 without being lost or changed by the restore, both read by 18's pg_dump,
/// applied to the 15 database's `DatabaseState`: each change named and matched
/// exactly, none a blanket ignore. A transformation that finds nothing to change
/// leaves the state as it is, so a difference of any other kind still fails.
enum UpgradeChanges {
    static func from15To18(_ state: DatabaseState) -> DatabaseState {
        var state = state
        for (key, acl) in state.acls where key.hasPrefix("relation ") || (key.hasPrefix("default privileges ") && key.hasSuffix(" r")) {
            state.acls[key] = maintainPrivilege(acl)
        }
        for (key, block) in state.schema {
            if key.hasPrefix("ACL ") || key.hasPrefix("DEFAULT ACL ") {
                state.schema[key] = maintainPrivilegeGrant(block)
            } else if key.hasPrefix("VIEW ") || key.hasPrefix("MATERIALIZED VIEW ") {
                state.schema[key] = singleRelationViewDeparse(block)
            } else if key.hasPrefix("TABLE ") {
                state.schema[key] = withoutAttributeVersionStamps(block)
            }
        }
        return state
    }

    /// PostgreSQL 17 added the MAINTAIN privilege (`m`) on tables. A 15 ACL
    /// holding every table privilege (`arwdDxt`: an owner's implicit entry,
    /// `GRANT ALL`, `ALTER DEFAULT PRIVILEGES … GRANT ALL ON TABLES`) is dumped by
    /// 15's pg_dump as ALL, which 17 and later grant as `arwdDxtm`; with grant
    /// option `a*r*w*d*D*x*t*` becomes `a*r*w*d*D*x*t*m*`.
    static func maintainPrivilege(_ acl: String) -> String {
        acl.replacingOccurrences(of: "=arwdDxt/", with: "=arwdDxtm/")
            .replacingOccurrences(of: "=a*r*w*d*D*x*t*/", with: "=a*r*w*d*D*x*t*m*/")
    }

    /// The same change in pg_dump's text: 18's pg_dump spells out a 15 server's
    /// full table privileges (ALL there would include MAINTAIN) and writes ALL for 18's.
    static func maintainPrivilegeGrant(_ block: String) -> String {
        block.replacingOccurrences(of: "GRANT SELECT,INSERT,REFERENCES,DELETE,TRIGGER,TRUNCATE,UPDATE ON ", with: "GRANT ALL ON ")
    }

    /// PostgreSQL 16 deparses a view over a single relation without qualifying its
    /// columns (`SELECT id` where 15 wrote `SELECT articles.id`). Only for a
    /// definition with one FROM line naming one relation and no join.
    static func singleRelationViewDeparse(_ block: String) -> String {
        let from = block.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("FROM ") }
        guard from.count == 1, !block.contains(" JOIN "),
              let match = from[0].wholeMatch(of: #/\s*FROM [a-z_][a-z0-9_]*\.([a-z_][a-z0-9_]*)/#) else { return block }
        // "articles." where it starts a name (not inside "public.articles."), off the FROM line.
        let qualifier = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9_.\"])" + NSRegularExpression.escapedPattern(for: String(match.1) + "."))
        return block.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = String(line)
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("FROM ") { return text }
            return qualifier.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        }.joined(separator: "\n")
    }

    /// The Debian 15.20 server of the test cluster stamps every column with an
    /// attribute option `pg_attver=N` of its own, which its pg_dump leaves out
    /// (so no snapshot holds it) and 18's pg_dump, not knowing it, shows as
    /// `ALTER TABLE ONLY t ALTER COLUMN c SET (pg_attver=N);`. Only that option is removed.
    static func withoutAttributeVersionStamps(_ block: String) -> String {
        block.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            guard line.hasPrefix("ALTER TABLE ONLY "), let match = line.wholeMatch(of: #/(.* ALTER COLUMN .* SET \()(.*)(\);)/#) else { return String(line) }
            let options = match.2.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.hasPrefix("pg_attver=") || Int($0.dropFirst("pg_attver=".count)) == nil }
            return options.isEmpty ? nil : match.1 + options.joined(separator: ", ") + match.3
        }.joined(separator: "\n")
    }
}
