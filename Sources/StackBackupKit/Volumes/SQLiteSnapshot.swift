internal import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open SQLite connection, owned: closed in `deinit`.
final class SQLiteConnection {
    let handle: OpaquePointer

    init(path: [UInt8], readOnly: Bool) throws {
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = FileSystem.withCPath(path) { sqlite3_open_v2($0, &db, flags | SQLITE_OPEN_NOMUTEX, nil) }
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteSnapshot.error("open", path: path, message)
        }
        sqlite3_busy_timeout(db, 10_000)
        handle = db
    }

    deinit { sqlite3_close_v2(handle) }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL and returns the first column of each row as text (for checks and tests).
    func query(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw VolumeError(.sqlite, "SQLite could not prepare a statement: \(lastError)")
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw VolumeError(.sqlite, "SQLite failed to run a statement: \(lastError)") }
            if let text = sqlite3_column_text(statement, 0) {
                rows.append(String(cString: text))
            } else {
                rows.append("")
            }
        }
    }
}

/// Copies a live SQLite database with the online backup API, so the copy is
/// one consistent transaction state, never a torn file.
enum SQLiteSnapshot {
    /// Copies the database at `source` into a new file at `destination`.
    static func copy(from source: [UInt8], to destination: [UInt8]) throws {
        let src = try SQLiteConnection(path: source, readOnly: true)
        let dst = try SQLiteConnection(path: destination, readOnly: false)
        guard let backup = sqlite3_backup_init(dst.handle, "main", src.handle, "main") else {
            throw error("sqlite3_backup_init", path: source, dst.lastError)
        }
        var rc: Int32
        var attempts = 0
        repeat {
            // All pages in one step: the copy is taken under one read transaction.
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                attempts += 1
                usleep(20_000)
            }
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempts < 1_500
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else {
            let reason = rc == SQLITE_DONE ? String(cString: sqlite3_errstr(finish)) : String(cString: sqlite3_errstr(rc))
            throw error("sqlite3_backup_step", path: source, reason)
        }
    }

    static func error(_ call: String, path: [UInt8], _ message: String) -> VolumeError {
        VolumeError(.sqlite, "\(call) failed on the SQLite database \(ByteString.display(path)): \(message); check that it is a readable SQLite database or remove it from the sqlite globs")
    }

    /// Whether `name` is a companion file SQLite keeps next to a database
    /// named `database` (journal, WAL, shared memory).
    static func isCompanion(_ name: [UInt8], of database: [UInt8]) -> Bool {
        for suffix in ["-wal", "-shm", "-journal"] where name == database + Array(suffix.utf8) {
            return true
        }
        return false
    }
}
