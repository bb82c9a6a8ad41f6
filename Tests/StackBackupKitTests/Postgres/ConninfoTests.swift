import StackBackupKit
import Testing

@Suite struct ConninfoTests {
    @Test func keywordsQuotedValuesAndSpacesAroundEqualsAreRead() throws {
        let base = PGConnectionConfig(host: "db1", port: 5432, user: "backup", passwordFile: "/etc/stackbackup/pg.pass")
        let config = try base.applying(conninfo: "host = db2.lan port=5433  dbname='my db' sslmode=require user='o\\'brien' connect_timeout=7")
        #expect(config.host == "db2.lan" && config.port == 5433 && config.database == "my db")
        #expect(config.user == "o'brien" && config.sslMode == "require" && config.connectTimeout == 7)
        #expect(config.passwordFile == nil, "the first server's password file must not go to another server")
    }

    @Test func theShortFormSetsHostPortAndUser() throws {
        let base = PGConnectionConfig(host: "db1", port: 5432, user: "backup", passwordFile: "/etc/pg.pass")
        let full = try base.applying(server: "db2:5433/drill")
        #expect(full.host == "db2" && full.port == 5433 && full.user == "drill" && full.passwordFile == nil)
        let hostOnly = try base.applying(server: "db3")
        #expect(hostOnly.host == "db3" && hostOnly.port == 5432 && hostOnly.user == "backup")
        #expect(throws: ConninfoError.self) { try base.applying(server: "db2:notaport") }
        #expect(throws: ConninfoError.self) { try base.applying(server: "") }
    }

    @Test func aHostStartingWithASlashIsASocketFolder() throws {
        let base = PGConnectionConfig(host: "db1", port: 5432, user: "backup", passwordFile: "/etc/pg.pass")
        let folder = try base.applying(server: "/srv/postgres/run")
        #expect(folder.host == "/srv/postgres/run" && folder.port == 5432 && folder.user == "backup" && folder.passwordFile == nil)
        let withPort = try base.applying(server: "/srv/postgres/run/:5433")
        #expect(withPort.host == "/srv/postgres/run" && withPort.port == 5433)
        #expect(try base.applying(conninfo: "host=/srv/postgres/run user=drill").host == "/srv/postgres/run")
        #expect(throws: ConninfoError.self) { try base.applying(server: "/srv/run:port") }
        #expect(throws: ConninfoError.self) { try base.applying(server: "/") }
    }

    @Test(arguments: [
        ("host=x password=secret", "never put a password on the command line"),
        ("host=x port=99999", "port '99999' is not a number"),
        ("host", "missing '='"),
        ("host='x", "unterminated quoted value"),
        ("options=-cfoo=1", "keyword 'options' is not accepted"),
        ("   ", "empty"),
    ])
    func badConninfoIsRefusedSayingWhy(_ text: String, _ expected: String) {
        let error = #expect(throws: ConninfoError.self) { try PGConnectionConfig().applying(conninfo: text) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }
}
