// Postgres: everything that talks to a PostgreSQL server. libpq is used only
// in this folder (`internal import CLibPQ`), wrapped by `PGConnection` (one
// server connection), `PGResult` (one statement's rows), `PGCopyWriter`
// (a COPY FROM STDIN stream) and `PGError`. Dumping and restoring databases
// build on these.

import Foundation
internal import CLibPQ

/// One connection to a PostgreSQL server.
///
/// Owns its `PGconn` and closes it on `deinit`. Used by one thread at a time;
/// only `cancel()` may be called from another thread while a statement runs.
/// Calls block: run them on a dedicated thread, not the Swift concurrency pool.
public final class PGConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Made once after connecting: `PQcancel` on it is safe from any thread.
    private let cancelHandle: OpaquePointer?
    public let config: PGConnectionConfig

    private init(handle: OpaquePointer, config: PGConnectionConfig) {
        self.handle = handle
        self.cancelHandle = PQgetCancel(handle)
        self.config = config
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    /// Connects, retrying connection failures that may pass (refused, timed out,
    /// server starting) `retries` times with backoff 0.5 s, 1 s, 2 s, …
    /// Wrong credentials or a missing database fail at once.
    /// Throws `PGError` with code `.connection`; its message is one line naming
    /// host, port and database and never the password.
    public static func connect(_ config: PGConnectionConfig, retries: Int = 3) throws -> PGConnection {
        var delay = 0.5
        var attempt = 0
        while true {
            do {
                return try connectOnce(config)
            } catch let error as PGError where error.isRetryable && attempt < retries {
                attempt += 1
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            } catch let error as PGError where attempt > 0 {
                throw PGError(error.code, sqlState: error.sqlState, message: error.message,
                              context: "\(error.context) (\(attempt + 1) attempts)")
            }
        }
    }

    private static func connectOnce(_ config: PGConnectionConfig) throws -> PGConnection {
        let context = "connecting to \(config.displayName)"
        var parameters: [(String, String)] = []
        if let host = config.host { parameters.append(("host", host)) }
        if let port = config.port { parameters.append(("port", String(port))) }
        if let user = config.user { parameters.append(("user", user)) }
        if let database = config.database { parameters.append(("dbname", database)) }
        if let sslMode = config.sslMode { parameters.append(("sslmode", sslMode)) }
        if let timeout = config.connectTimeout { parameters.append(("connect_timeout", String(timeout))) }
        parameters.append(("application_name", config.applicationName))
        if let file = config.passwordFile {
            parameters.append(("password", try readPassword(file, context: context)))
        }

        // C strings live until PQconnectdbParams returns; the password's copy is wiped.
        let keys = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            for pointer in keys { free(pointer) }
            for pointer in values {
                if let pointer { memset(pointer, 0, strlen(pointer)) }
                free(pointer)
            }
        }
        var keyArray: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valueArray: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let conn = keyArray.withUnsafeMutableBufferPointer { k in
            valueArray.withUnsafeMutableBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 0)
            }
        }
        guard let conn else {
            throw PGError(.connection, message: "libpq could not allocate a connection", context: context)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let reason = PGError.oneLine(PQerrorMessage(conn).map { String(cString: $0) } ?? "")
            PQfinish(conn)
            throw PGError(.connection, message: reason, context: context)
        }
        return PGConnection(handle: conn, config: config)
    }

    private static func readPassword(_ path: String, context: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PGError(.connection, message: "cannot read the password file \(path)", context: context)
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }

    /// The server's version as libpq reports it (150018 for 15.18).
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    func context(_ sql: String) -> String { "\(statementKind(sql)) on \(config.displayName)" }

    /// Runs one or more statements without parameters (`PQexec`); returns the
    /// last result. Throws `PGError` (`.query` with SQLSTATE, `.cancelled`,
    /// `.connection` when the connection broke).
    @discardableResult
    public func execute(_ sql: String) throws -> PGResult {
        try finish(PQexec(handle, sql), context: context(sql))
    }

    /// Runs one statement with text parameters `$1, $2, …` (`nil` is NULL).
    /// Parameters never appear in errors.
    @discardableResult
    public func query(_ sql: String, _ params: [String?]) throws -> PGResult {
        guard let count = Int32(exactly: params.count) else {
            throw PGError(.protocolError, message: "too many parameters", context: context(sql))
        }
        let copies = params.map { $0.flatMap { strdup($0) } }
        defer { for pointer in copies { free(pointer) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = pointers.withUnsafeBufferPointer { values in
            PQexecParams(handle, sql, count, nil, values.baseAddress, nil, nil, 0)
        }
        return try finish(result, context: context(sql))
    }

    /// Checks a statement's result: rows or a completed command pass; a COPY
    /// started by `execute` is ended so the connection stays usable.
    private func finish(_ result: OpaquePointer?, context: String) throws -> PGResult {
        let owned = try result.map(PGResult.init(owning:)) ?? { throw lastError(context) }()
        switch owned.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return owned
        case PGRES_COPY_OUT, PGRES_COPY_IN, PGRES_COPY_BOTH:
            abandonCopy(owned.status)
            throw PGError(.protocolError, message: "a COPY statement needs copyOut or copyIn", context: context)
        default:
            throw error(from: owned, context: context, defaultCode: .query)
        }
    }

    /// Turns an error result into a `PGError`.
    func error(from result: PGResult, context: String, defaultCode: PGError.Code) -> PGError {
        let (state, message) = result.errorFields()
        let code: PGError.Code
        if state == "57014" {
            code = .cancelled
        } else if PQstatus(handle) != CONNECTION_OK {
            code = .connection
        } else {
            code = defaultCode
        }
        return PGError(code, sqlState: state, message: message, context: context)
    }

    /// The connection's last error, when libpq returned no result at all.
    func lastError(_ context: String, code: PGError.Code = .connection) -> PGError {
        let message = PGError.oneLine(PQerrorMessage(handle).map { String(cString: $0) } ?? "")
        return PGError(PQstatus(handle) == CONNECTION_OK ? code : .connection, message: message, context: context)
    }

    /// Ends an unexpected COPY and reads the remaining results.
    private func abandonCopy(_ status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            _ = PQputCopyEnd(handle, "not expected by the client")
        } else if status == PGRES_COPY_OUT {
            cancel()
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
        }
        drainResults()
    }

    /// Reads and frees results until libpq has none left.
    func drainResults() {
        while let next = PQgetResult(handle) { PQclear(next) }
    }

    /// Asks the server to cancel the statement running on this connection.
    /// Safe from any thread; the running call then throws `.cancelled`.
    /// Does nothing when no statement runs.
    public func cancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// `name` quoted as an SQL identifier: `we"ird` → `"we""ird"`.
    public func escapeIdentifier(_ s: String) -> String {
        let utf8 = Array(s.utf8)
        if let escaped = PQescapeIdentifier(handle, s, utf8.count) {
            defer { PQfreemem(escaped) }
            return String(cString: escaped)
        }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `s` quoted as an SQL string literal: `it's` → `'it''s'`.
    public func escapeLiteral(_ s: String) -> String {
        let utf8 = Array(s.utf8)
        if let escaped = PQescapeLiteral(handle, s, utf8.count) {
            defer { PQfreemem(escaped) }
            return String(cString: escaped)
        }
        let body = s.replacingOccurrences(of: "'", with: "''")
        if s.contains("\\") {
            return " E'" + body.replacingOccurrences(of: "\\", with: "\\\\") + "'"
        }
        return "'" + body + "'"
    }
}
